"""The input half of a run without the model: load and clean a config's customers (or order
lines) and say what was read. `segments check` prints it; the fuzz suite runs it on bad inputs."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .cleaning import CleanData, LogEntry, check_segmentable, clean
from ..config import Config, load_config
from ..errors import UserError


@dataclass(frozen=True)
class Checked:
    path: Path
    n_rows: int  # customers: input rows (customer table), seen (order lines), or both (joined)
    n_usable: int
    excluded: dict[str, int]  # reason -> rows
    log: tuple[LogEntry, ...]
    reference_date: str
    data: CleanData
    lines_path: Path | None = None  # the order lines, when they are read
    n_table: int | None = None  # rows of the customer table, when one is read

    def text(self) -> str:
        if self.lines_path is None:
            what = f"{self.path}: {self.n_rows:,} rows"
        elif self.n_table is None:
            what = f"{self.lines_path}: {self.n_rows:,} customers"
        else:
            what = (f"{self.path} and {self.lines_path}: {self.n_rows:,} customers ({self.n_table:,} rows of the "
                    f"table, {self.n_rows - self.n_table:,} in the order lines only)")
        lines = [f"{what}, {self.n_usable:,} usable customers, "
                 f"{self.n_rows - self.n_usable:,} excluded; reference date {self.reference_date}"]
        lines += [f"excluded: {why}: {n:,}" for why, n in self.excluded.items()]
        lines += [f"log: {e.step} | {e.column} | {e.count:,} | {e.action} | {e.detail}" for e in self.log]
        return "\n".join(lines) + "\n"


def with_input(cfg: Config, source: Path | str, customers: str | None, transactions: str | None) -> Config:
    """The config with --customers or --transactions replacing its file (as `segments report`)."""
    for given, section, option in ((customers, "customers", "--customers"),
                                   (transactions, "transactions", "--transactions")):
        if given is None:
            continue
        current = getattr(cfg, section)
        if current is None:
            raise UserError(f"{source}: {option} replaces the config's '{section}' file, but the config has no "
                            f"'{section}' section")
        # A file given replaces a catalog table as well.
        cfg = cfg.model_copy(update={section: current.model_copy(update={"path": str(Path(given).resolve()), "table": None})})
    return cfg


def check_config(cfg: Config) -> Checked:
    from .joining import load_input

    inp = load_input(cfg)
    data = clean(inp.table, inp.cfg)
    check_segmentable(data, inp.cfg, inp.table.path)
    if inp.cfg.features is not None:  # the features named in the config exist only once the data is read
        from ..segment.features import build_features
        build_features(data, inp.cfg)
    reasons = Counter(r for r in data.reasons if r) + Counter(inp.extra.values())
    return Checked(path=inp.table.path, n_rows=data.n_input + len(inp.extra), n_usable=len(data.customers),
                   excluded=dict(sorted(reasons.items())), log=inp.log + data.log,
                   reference_date=data.reference_date.isoformat(), data=data,
                   lines_path=cfg.transactions_path if cfg.transactions is not None else None,
                   n_table=data.n_input if cfg.customers is not None else None)


def check_input(config: Path, customers: str | None = None, transactions: str | None = None) -> Checked:
    return check_config(with_input(load_config(config), config, customers, transactions))
