"""`segments init --customers A --transactions B [--products C]`: one config for a customer table and
its order lines, from the two drafts: the order lines' sections, a `join:` section matching the
table's id with the lines' customer column, and the table's column roles without the roles the
lines derive (commented out, so that a reader sees what was guessed and why it is not used)."""
from __future__ import annotations

from pathlib import Path

import yaml

from ..config import DERIVED_ROLES
from .drafting import draft_config, quote
from .drafting_orders import draft_orders_config


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """Top-level YAML sections of a draft as (key, lines), comments kept with the section they precede."""
    out: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        top = line and not line.startswith((" ", "#"))
        if top:
            out.append((line.split(":")[0], []))
        out[-1][1].append(line)
    return out


def _without_derived(lines: list[str], priced: bool = True) -> list[str]:
    """The columns section with the roles the order lines derive commented out (the spend kept when
    the lines have no prices: they give units, not spend)."""
    derived = [r for r in DERIVED_ROLES if priced or r != "spend"]
    out, inside = [], False
    for line in lines:
        role = line[2:].split(":")[0] if line.startswith("  ") and not line.startswith("   ") else None
        if role is not None:
            inside = role in derived
            if inside:
                out.append(f"  # {line.strip()}  # derived from the order lines in a joined config")
                continue
        if inside and line.startswith("    "):
            out.append(f"  #   {line.strip()}")
            continue
        out.append(line)
    return out


def draft_joined_config(customers: str | Path, transactions: str | Path, products: str | Path | None,
                        config_dir: Path | None) -> str:
    table = draft_config(customers, config_dir)
    lines = draft_orders_config(transactions, products, config_dir)
    t_cfg, l_cfg = yaml.safe_load(table), yaml.safe_load(lines)
    table_id = (t_cfg.get("columns") or {}).get("id")
    lines_id = (l_cfg.get("transactions") or {}).get("customer")
    keep = {"transactions", "products"}
    order_part = [ln for key, body in _sections(lines) if key in keep for ln in body]
    join = ["join:  # the customer id in each file: order lines are matched to the table's customers on it",
            f"  customers: {quote(str(table_id)) if table_id else '???  # required: the table id column'}",
            f"  transactions: {quote(str(lines_id)) if lines_id else '???  # required: the lines customer column'}",
            "  without_orders: keep  # customers without a usable order line: keep (zero activity) or exclude", ""]
    # The money is in the lines: a currency written beside their prices counts when the table shows none.
    def found(text: str) -> list[str] | None:  # the report section, when it names a currency found in the data
        body = next((b for key, b in _sections(text) if key == "report"), None)
        return body if body and "no currency sign found" not in body[0] else None
    lines_report = found(lines)
    use_lines_report = lines_report is not None and found(table) is None
    out: list[str] = []
    for key, body in _sections(table):
        if key == "columns":
            t = l_cfg.get("transactions") or {}
            out += order_part + [""] + join + _without_derived(body, bool(t.get("unit_price") or t.get("amount")))
        elif key == "report" and use_lines_report:  # the lines' currency, the table's title
            title = [ln for ln in body if ln.startswith("  title:")]
            out += [title[0] if ln.startswith("  title:") and title else ln for ln in lines_report]
        else:
            out += body
    return "\n".join(out).rstrip("\n") + "\n"
