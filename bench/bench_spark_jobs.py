"""Spark jobs per load of order lines, and where they start: on a few lines every Spark job costs
about the same (scheduling, a task per partition), so the count is the cost of small loads, and
of the Spark tests.

    python bench/bench_spark_jobs.py [--lines plain|comma|status] [--master 'local-cluster[2,1,1024]']

Loads one of the test suite's small files (tests/test_orders.py) twice on one session, the first
to warm the JVM, and prints the second load's jobs and time, then the jobs and seconds of each
driver-side action by the line of `analysis/` that called it (Spark's status tracker counts the jobs).
"""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pyspark.sql.classic.dataframe import DataFrame  # noqa: E402

from test_orders import LINES, PRODUCTS, _comma_lines, _status_lines, make_config  # noqa: E402
from test_spark import MASTER, start_engine  # noqa: E402

ACTIONS = ("collect", "count", "toArrow", "toPandas", "first", "take")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", choices=["plain", "comma", "status"], default="comma")
    ap.add_argument("--master", default=MASTER)
    args = ap.parse_args()
    import test_spark
    test_spark.MASTER = args.master
    engine = start_engine()
    tracker = engine.spark.sparkContext.statusTracker()
    jobs, seconds = collections.Counter(), collections.Counter()

    def counted(name):
        original = getattr(DataFrame, name)

        def action(self, *a, **k):
            site = [f for f in traceback.extract_stack() if "/analysis/" in f.filename]
            key = f"{Path(site[-1].filename).name}:{site[-1].lineno} {name}" if site else name
            j0, t0 = len(tracker.getJobIdsForGroup(None)), time.perf_counter()
            out = original(self, *a, **k)
            jobs[key] += len(tracker.getJobIdsForGroup(None)) - j0
            seconds[key] += time.perf_counter() - t0
            return out
        setattr(DataFrame, name, action)

    for name in ACTIONS:
        counted(name)
    tmp = Path(tempfile.mkdtemp())
    text = {"plain": LINES, "comma": _comma_lines(), "status": _status_lines()}[args.lines]
    (tmp / "lines.csv").write_text(text, encoding="utf-8")
    (tmp / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    cfg = make_config(tmp, transactions={"status": "Status"} if args.lines == "status" else None)
    engine.load_orders(cfg)  # warm-up
    jobs.clear()
    seconds.clear()
    j0, t0 = len(tracker.getJobIdsForGroup(None)), time.perf_counter()
    engine.load_orders(cfg)
    print(f"{args.lines} lines on {args.master}: {len(tracker.getJobIdsForGroup(None)) - j0} jobs, "
          f"{time.perf_counter() - t0:.1f} s")
    for key in sorted(jobs, key=lambda k: -seconds[k]):
        print(f"{jobs[key]:4d} jobs {seconds[key]:6.2f} s  {key}")
    engine.close()


if __name__ == "__main__":
    main()
