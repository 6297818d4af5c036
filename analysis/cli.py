"""`segments`: draft a config for a customer table, or build the segment report from one."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from . import __version__
from .options import SEED_MAX, check_delimiter, unescape_delimiter
from .errors import UserError


def check_seed(seed: int | None, option: str = "--seed") -> None:
    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise UserError(f"{option} must be from 0 to {SEED_MAX} (2**32 - 1), got {seed}")


def check_out_folder(out: Path, option: str = "--out") -> None:
    """The output folder is a folder (or can be made) and can be written, before any work starts."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: {option} names an existing file, expected a folder")
    parent = out
    while not parent.exists():  # the nearest folder that exists is where the new folders will go
        if parent.parent == parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"{out}: {option} cannot be created: {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{out}: {option} is not writable (no write permission on {parent})")
    # Permissions do not tell everything (root passes os.access on a read-only or virtual file
    # system): a file is actually created there, and removed.
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise UserError(f"{out}: {option} is not writable (cannot create a file in {parent}: "
                        f"{e.strerror or type(e).__name__})") from None

DESCRIPTION = """Customer segments report: find customer segments in a table and publish them as a
website (site/) and PDF, with private per-customer outputs in exports/.

  segments init --customers customers.csv > my.yml     draft a config, then check it
  segments init --transactions lines.csv > my.yml      ... or from order lines
  segments report --config my.yml --out build/         build build/site and build/exports
  segments assign --model build/exports/model --customers new.csv --out new_segments.csv
"""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="segments", description=DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"segments {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="draft a commented config by inspecting a customer table",
                          description="Inspect a CSV/TSV/Parquet customer table (delimiter and encoding are "
                          "detected) and print a YAML config with every column's guessed role commented.")
    what = init
    what.add_argument("--customers", metavar="FILE", help="customer table: CSV, TSV or Parquet (one row per customer)")
    what.add_argument("--transactions", metavar="FILE",
                      help="order lines: CSV, TSV or Parquet (one row per product in an order); customer features "
                      "and baskets are derived from them")
    init.add_argument("--products", metavar="FILE",
                      help="with --transactions: a product -> category map (CSV, TSV, Parquet or Excel)")
    init.add_argument("--config-dir", default=None, metavar="DIR",
                      help="folder the config will be saved in; the table's path is written relative to it "
                      "(default: the folder of the file the output is redirected to, else paths are absolute)")
    rep = sub.add_parser("report", help="build the report from a config",
                         description="Load, clean, segment and profile the customers named in the config, then "
                         "write DIR/site (the public website and PDF) and DIR/exports (private outputs).")
    rep.add_argument("--config", required=True, metavar="FILE", help="YAML config (draft one with `segments init`)")
    rep.add_argument("--customers", metavar="FILE", help="customer table to use instead of the config's")
    rep.add_argument("--transactions", metavar="FILE", help="order lines to use instead of the config's")
    rep.add_argument("--out", default=".", metavar="DIR", help="output folder (default: the current folder)")
    rep.add_argument("--seed", type=int, help="random seed instead of the config's (same seed, same result)")
    rep.add_argument("--engine", choices=["local", "spark"],
                     help="where the operations that grow with the data run, instead of the config's engine "
                     "(spark needs `pip install segments[spark]` and Java 17)")
    rep.add_argument("--master", metavar="URL", help="with --engine spark: the Spark master (default local[*])")
    rep.add_argument("--no-pdf", action="store_true", help="skip the PDF (the website is still built)")
    rep.add_argument("--sources-only", action="store_true",
                     help="write exports and the .qmd page sources but do not render them (Quarto's pre-render)")
    chk = sub.add_parser("check", help="load and clean the input of a config, print what was read, build nothing",
                         description="Load and clean the customers (or order lines) named in the config as "
                         "`segments report` would, and print the rows read, the customers kept, every excluded "
                         "row's reason with its count and the cleaning log. Exit status 2 with one line naming "
                         "the file, column or key when the input cannot be used. Writes nothing.")
    chk.add_argument("--config", required=True, metavar="FILE", help="YAML config")
    chk.add_argument("--customers", metavar="FILE", help="customer table to use instead of the config's")
    chk.add_argument("--transactions", metavar="FILE", help="order lines to use instead of the config's")
    syn = sub.add_parser("synth", help="write a synthetic customer table with planted segments",
                         description="Write DIR/customers.tsv (the bundled table's layout, with segments planted "
                         "from realistic archetypes), DIR/truth.csv (each customer's planted segment) and "
                         "DIR/config.yml, ready for `segments report --config DIR/config.yml`.")
    syn.add_argument("--customers", type=int, required=True, metavar="N", help="number of customers")
    syn.add_argument("--segments", type=int, default=4, metavar="K", help="planted segments, 2 to 6 (default 4)")
    syn.add_argument("--seed", type=int, default=0, help="random seed (same seed, same table)")
    syn.add_argument("--dirt", action="store_true", help="add real-world dirt: missing incomes, odd values, duplicates")
    syn.add_argument("--transactions", type=int, metavar="M",
                     help="write M order lines instead (online-retail layout, Parquet by default): "
                     "DIR/lines.parquet, DIR/products.csv, DIR/truth.csv and DIR/config.yml")
    syn.add_argument("--joined", action="store_true",
                     help="with --transactions: write a customer table (DIR/customers.tsv) and its order lines, "
                     "with 2 x 2 planted segments that show only when both are read (a joined config)")
    syn.add_argument("--format", choices=["tsv", "parquet", "csv"], default=None,
                     help="file format: tsv (default) or parquet for customers; parquet (default), csv or tsv "
                     "(gzipped) for order lines")
    syn.add_argument("--out", required=True, metavar="DIR", help="output folder")
    asg = sub.add_parser(
        "assign", help="place new customers in the segments of a run's saved model",
        description="Place the customers of FILE in the segments saved by a run (DIR is that run's exports/model) "
        "with the run's own cleaning and feature transformations, nothing refitted. Writes OUT (customer_id, "
        "segment, segment_name, distance, excluded_reason: every input customer) and a drift report (JSON), and "
        "prints a drift summary line: customers far from every segment centre, features outside the training "
        "range, category values never seen, segment shares against training.")
    asg.add_argument("--model", required=True, metavar="DIR", help="a run's exports/model folder")
    asg.add_argument("--customers", metavar="FILE", help="customer table in the layout the model was built from")
    asg.add_argument("--transactions", metavar="FILE", help="order lines in the layout the model was built from")
    asg.add_argument("--out", required=True, metavar="FILE", help="assignments CSV to write")
    asg.add_argument("--drift", metavar="FILE", help="drift report (default: OUT with .drift.json)")
    asg.add_argument("--reference-date", metavar="YYYY-MM-DD",
                     help="date ages, tenure and recency are measured at (default: the model's)")
    rul = sub.add_parser(
        "rules", help="mine association rules (products bought together) from baskets",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Mine association rules lhs => rhs from baskets and print them as CSV with the columns\n"
        "lhs,rhs,support,confidence,coverage,lift,count,leverage,conviction (itemsets written {a,b}).\n\n"
        "Measures and thresholds follow the R package arules (apriori):\n"
        "  support     share of baskets holding lhs and rhs (count: their number)\n"
        "  confidence  support / coverage, where coverage is the share of baskets holding lhs\n"
        "  lift        confidence / support of rhs; leverage = support - coverage * support(rhs);\n"
        "  conviction  (1 - support(rhs)) / (1 - confidence), inf when the confidence is 1\n"
        "Thresholds are inclusive and decided on whole basket counts (7 of 100 baskets pass\n"
        "--min-support 0.07). A rule's length counts the items on both sides; with --min-length 1\n"
        "the one-item rules {} => {x} are included, as arules does with minlen=1.\n"
        "--max-consequent 1 gives exactly the rules of arules' apriori (one item on the right).\n\n"
        "  segments rules baskets.txt --min-support 0.01 --min-confidence 0.5 --max-consequent 1\n"
        "  segments rules orders.csv --format table --order-column InvoiceNo --item-column StockCode \\\n"
        "      --min-support 0.01 --min-confidence 0.5")
    rul.add_argument("file", metavar="FILE", help="baskets file (gzipped files are read too)")
    rul.add_argument("--min-support", type=float, required=True, metavar="S",
                     help="keep rules whose lhs and rhs are together in at least this share of baskets, in (0, 1]")
    rul.add_argument("--min-confidence", type=float, required=True, metavar="C",
                     help="keep rules with confidence of at least this, in (0, 1]")
    rul.add_argument("--max-consequent", type=int, metavar="N",
                     help="at most N items on the right-hand side (default: no limit; 1 = arules)")
    rul.add_argument("--min-length", type=int, default=1, metavar="N",
                     help="at least N items in lhs and rhs together (default 1, arules' minlen; "
                     "2 leaves out the rules with an empty lhs)")
    rul.add_argument("--max-length", type=int, default=10, metavar="N",
                     help="at most N items in lhs and rhs together (default 10, arules' maxlen)")
    rul.add_argument("--format", choices=["lines", "table"], default="lines",
                     help="lines (default): one basket per line, items separated by commas, empty lines "
                     "skipped, a basket's id is its line number; table: CSV/TSV/Parquet with one "
                     "(basket, item) row per line, columns named by --order-column and --item-column")
    rul.add_argument("--order-column", metavar="NAME", help="table format: the column that names the basket (order)")
    rul.add_argument("--item-column", metavar="NAME", help="table format: the column that names the item")
    rul.add_argument("--delimiter", metavar="D",
                     help="lines format: the item separator (default ','); table format: the column "
                     "separator (default: detected; '\\t' for tabs)")
    return ap


def cmd_synth(args) -> int:
    import pandas as pd
    import yaml

    from . import synth

    if not 2 <= args.segments <= len(synth.ARCHETYPES):
        raise UserError(f"--segments must be from 2 to {len(synth.ARCHETYPES)}, got {args.segments}")
    if args.customers < 20 * args.segments:
        raise UserError(f"--customers must be at least {20 * args.segments} for {args.segments} segments")
    check_seed(args.seed)
    out = Path(args.out)
    check_out_folder(out)
    if args.transactions is not None:
        if args.transactions < 4 * args.customers:
            raise UserError(f"--transactions must be at least 4 lines per customer ({4 * args.customers:,})")
        if args.dirt:
            raise UserError("--dirt applies to customer tables; order lines always carry cancellations, "
                            "duplicates, lines without a customer and free lines")
        if args.joined:
            if args.format not in (None, "parquet"):
                raise UserError("--joined writes the customer table as TSV and the lines as Parquet; leave out --format")
            paths = synth.write_joined(synth.generate_joined(args.customers, args.transactions, seed=args.seed), out)
            print(f"wrote {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
            return 0
        lines = synth.generate_orders(args.customers, args.transactions, args.segments, seed=args.seed)
        paths = synth.write_orders(lines, out, args.format or "parquet")
        print(f"wrote {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
        return 0
    if args.joined:
        raise UserError("--joined needs --transactions M (the order lines to write with the customer table)")
    if args.format == "csv":
        raise UserError("--format csv is for order lines (--transactions); customer tables are tsv or parquet")
    out.mkdir(parents=True, exist_ok=True)
    df, truth = synth.generate(args.customers, args.segments, seed=args.seed, dirt=args.dirt)
    name = f"customers.{args.format or 'tsv'}"
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


def cmd_rules(args) -> int:
    import csv

    from .insight import rules

    rules.check_params(args.min_support, args.min_confidence, args.max_consequent, args.min_length,
                       args.max_length)
    if args.format == "table":
        if not (args.order_column and args.item_column):
            raise UserError("--format table needs --order-column and --item-column")
        if args.delimiter is not None:
            try:
                check_delimiter(args.delimiter, "--delimiter")
            except ValueError as e:
                raise UserError(str(e)) from None
        baskets, skipped = rules.read_pairs(args.file, args.order_column, args.item_column,
                                            delimiter=args.delimiter or "auto")
        if skipped:
            print(f"skipped {skipped:,} row(s) with an empty {args.order_column!r} or {args.item_column!r}",
                  file=sys.stderr)
    else:
        if args.order_column or args.item_column:
            raise UserError("--order-column and --item-column apply to --format table only")
        delimiter = "," if args.delimiter is None else unescape_delimiter(args.delimiter)
        if delimiter in ("", "\n", "\r"):
            raise UserError(f"--delimiter cannot be {args.delimiter!r}: give the character between items")
        baskets = rules.read_lines(args.file, delimiter=delimiter)
    found = rules.mine(baskets, args.min_support, args.min_confidence, max_consequent=args.max_consequent,
                       min_length=args.min_length, max_length=args.max_length)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["lhs", "rhs", "support", "confidence", "coverage", "lift", "count", "leverage", "conviction"])
    for r in found.itertuples(index=False):
        out.writerow([rules.format_itemset(r.lhs), rules.format_itemset(r.rhs), repr(float(r.support)),
                      repr(float(r.confidence)), repr(float(r.coverage)), repr(float(r.lift)), int(r.count),
                      repr(float(r.leverage)), repr(float(r.conviction))])
    print(f"{len(found):,} rules from {baskets.n_baskets:,} baskets over {len(baskets.items):,} items",
          file=sys.stderr)
    return 0


def _progress(start: float):
    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - start:5.1f}s] {msg}", file=sys.stderr, flush=True)
    return say


def _config_dir(given: str | None) -> Path | None:
    """Where the draft will live: --config-dir, else the folder of the file standard output is
    redirected to (`segments init ... > project/cfg.yml`), else None (paths written absolute)."""
    import os
    import stat

    if given is not None:
        return Path(given)
    try:
        if stat.S_ISREG(os.fstat(1).st_mode):
            return Path(os.readlink("/proc/self/fd/1")).parent
    except OSError:
        pass
    return None


def cmd_init(args) -> int:
    args.config_dir = _config_dir(args.config_dir)
    if not (args.customers or args.transactions):
        raise UserError("give --customers FILE, --transactions FILE or both")
    if args.customers and args.transactions:
        from .ingest.drafting_joined import draft_joined_config

        sys.stdout.write(draft_joined_config(args.customers, args.transactions, args.products, args.config_dir))
        return 0
    if args.transactions:
        from .ingest.drafting_orders import draft_orders_config

        sys.stdout.write(draft_orders_config(args.transactions, args.products, args.config_dir))
        return 0
    if args.products:
        raise UserError("--products maps the products of order lines: use it with --transactions")
    from .ingest.drafting import draft_config

    sys.stdout.write(draft_config(args.customers, args.config_dir))
    return 0


def cmd_check(args) -> int:
    from .ingest.checking import check_input

    config = Path(args.config)
    if config.is_dir():
        raise UserError(f"{config}: --config names a folder, expected a YAML config file")
    sys.stdout.write(check_input(config, customers=args.customers, transactions=args.transactions).text())
    return 0


def cmd_report(args) -> int:
    check_seed(args.seed)
    config = Path(args.config)
    if config.is_dir():
        raise UserError(f"{config}: --config names a folder, expected a YAML config file")
    check_out_folder(Path(args.out))
    from .report import build_report

    say = _progress(time.perf_counter())
    out = build_report(Path(args.config), Path(args.out), customers=args.customers,
                       transactions=args.transactions, seed=args.seed,
                       pdf=not args.no_pdf, sources_only=args.sources_only, progress=say,
                       engine=args.engine, master=args.master)
    say(f"done: {out}")
    return 0


def cmd_assign(args) -> int:
    from datetime import date

    from .assign import assign, write

    out = Path(args.out)
    if out.is_dir():
        raise UserError(f"{out}: --out names a folder, expected a CSV file to write")
    check_out_folder(out.parent, "--out")
    ref = None
    if args.reference_date is not None:
        try:
            ref = date.fromisoformat(args.reference_date)
        except ValueError:
            raise UserError(f"--reference-date must be a date such as 2024-05-31, got {args.reference_date!r}") from None
    say = _progress(time.perf_counter())
    done = assign(Path(args.model), args.customers and Path(args.customers),
                  args.transactions and Path(args.transactions), ref, say)
    drift = Path(args.drift) if args.drift else out.with_name(out.name.removesuffix(".csv") + ".drift.json")
    write(done, out, drift)
    print(done.drift.line())
    print(done.measured())
    say(f"done: {out} and {drift}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .publish import outputs  # after parsing: `segments --help` imports nothing heavy
    # SIGTERM unwinds like Ctrl-C, so that staging folders are removed and children ended.
    previous = signal.signal(signal.SIGTERM, outputs.on_terminate) if _main_thread() else None
    try:
        return {"init": cmd_init, "report": cmd_report, "synth": cmd_synth, "rules": cmd_rules,
                "check": cmd_check, "assign": cmd_assign}[args.command](args)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `segments rules ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 0
    except KeyboardInterrupt as e:
        outputs.end_children()
        print("stopped" if isinstance(e, outputs.Stopped) else "interrupted", file=sys.stderr)
        return 143 if isinstance(e, outputs.Stopped) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
