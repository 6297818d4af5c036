"""`segments`: draft a config for a customer table, or build the segment report from one."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .errors import UserError

DESCRIPTION = """Customer segments report: find customer segments in a table and publish them as a
website (site/) and PDF, with private per-customer outputs in exports/.

  segments init --customers customers.csv > my.yml     draft a config, then check it
  segments report --config my.yml --out build/         build build/site and build/exports
"""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="segments", description=DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"segments {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="draft a commented config by inspecting a customer table",
                          description="Inspect a CSV/TSV/Parquet customer table (delimiter and encoding are "
                          "detected) and print a YAML config with every column's guessed role commented.")
    init.add_argument("--customers", required=True, metavar="FILE", help="customer table: CSV, TSV or Parquet")
    init.add_argument("--config-dir", default=".", metavar="DIR",
                      help="folder the config will be saved in; the table's path is written relative to it "
                      "(default: the current folder)")
    rep = sub.add_parser("report", help="build the report from a config",
                         description="Load, clean, segment and profile the customers named in the config, then "
                         "write DIR/site (the public website and PDF) and DIR/exports (private outputs).")
    rep.add_argument("--config", required=True, metavar="FILE", help="YAML config (draft one with `segments init`)")
    rep.add_argument("--customers", metavar="FILE", help="customer table to use instead of the config's")
    rep.add_argument("--out", default=".", metavar="DIR", help="output folder (default: the current folder)")
    rep.add_argument("--seed", type=int, help="random seed instead of the config's (same seed, same result)")
    rep.add_argument("--no-pdf", action="store_true", help="skip the PDF (the website is still built)")
    rep.add_argument("--sources-only", action="store_true",
                     help="write exports and the .qmd page sources but do not render them (Quarto's pre-render)")
    syn = sub.add_parser("synth", help="write a synthetic customer table with planted segments",
                         description="Write DIR/customers.tsv (the bundled table's layout, with segments planted "
                         "from realistic archetypes), DIR/truth.csv (each customer's planted segment) and "
                         "DIR/config.yml, ready for `segments report --config DIR/config.yml`.")
    syn.add_argument("--customers", type=int, required=True, metavar="N", help="number of customers")
    syn.add_argument("--segments", type=int, default=4, metavar="K", help="planted segments, 2 to 6 (default 4)")
    syn.add_argument("--seed", type=int, default=0, help="random seed (same seed, same table)")
    syn.add_argument("--dirt", action="store_true", help="add real-world dirt: missing incomes, odd values, duplicates")
    syn.add_argument("--format", choices=["tsv", "parquet"], default="tsv", help="file format (default tsv)")
    syn.add_argument("--out", required=True, metavar="DIR", help="output folder")
    return ap


def cmd_synth(args) -> int:
    import pandas as pd
    import yaml

    from . import synth

    if not 2 <= args.segments <= len(synth.ARCHETYPES):
        raise UserError(f"--segments must be from 2 to {len(synth.ARCHETYPES)}, got {args.segments}")
    if args.customers < 20 * args.segments:
        raise UserError(f"--customers must be at least {20 * args.segments} for {args.segments} segments")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    df, truth = synth.generate(args.customers, args.segments, seed=args.seed, dirt=args.dirt)
    name = f"customers.{args.format}"
    synth.write(df, out / name)
    names = [a.name for a in synth.ARCHETYPES[: args.segments]]
    pd.DataFrame({"customer_id": df["ID"], "planted_segment": [names[t] for t in truth]}).to_csv(
        out / "truth.csv", index=False)
    demo = Path(__file__).resolve().parent.parent / "data" / "marketing_campaign.yml"
    cfg = yaml.safe_load(demo.read_text())
    cfg["customers"] = {"path": name}
    cfg["report"]["title"] = f"{args.customers:,} synthetic customers"
    (out / "config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    print(f"wrote {out / name}, {out / 'truth.csv'} and {out / 'config.yml'}", file=sys.stderr)
    return 0


def _progress(start: float):
    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - start:5.1f}s] {msg}", file=sys.stderr, flush=True)
    return say


def cmd_init(args) -> int:
    from .drafting import draft_config

    sys.stdout.write(draft_config(args.customers, Path(args.config_dir)))
    return 0


def cmd_report(args) -> int:
    from .report import build_report

    say = _progress(time.perf_counter())
    out = build_report(Path(args.config), Path(args.out), customers=args.customers, seed=args.seed,
                       pdf=not args.no_pdf, sources_only=args.sources_only, progress=say)
    say(f"done: {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"init": cmd_init, "report": cmd_report, "synth": cmd_synth}[args.command](args)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
