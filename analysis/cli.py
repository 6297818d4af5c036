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
    return ap


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
        return {"init": cmd_init, "report": cmd_report}[args.command](args)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
