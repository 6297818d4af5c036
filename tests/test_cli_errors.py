"""`segments report` on bad input: exit code 2 and one `error:` line naming the file, column or key."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest


GOOD = "id,income,wine,meat,joined\n1,100,10,20,2014-01-01\n2,200,5,40,2014-02-01\n3,300,30,1,2014-03-01\n"
COLUMNS = {"id": "id", "income": "income", "spend": {"Wine": "wine", "Meat": "meat"}}
CFG = {"columns": COLUMNS}


def test_help_lists_the_options(run_cli):
    code, out, err = run_cli("report", "--help")
    assert code == 0
    for option in ("--no-pdf", "--seed", "--customers", "--out", "--config"):
        assert option in out


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith("segments ")


def test_missing_required_option_is_a_usage_error(run_cli):
    code, _, err = run_cli("report")
    assert code == 2
    assert "--config" in err


def test_config_file_not_found(run_cli, one_error, tmp_path):
    code, _, err = run_cli("report", "--config", str(tmp_path / "nope.yml"), "--out", str(tmp_path / "out"))
    line = one_error(code, err)
    assert "nope.yml" in line and "not found" in line
    assert not (tmp_path / "out").exists()


def test_customer_file_not_found(report_errors):
    line = report_errors(GOOD, {"customers": {"path": "missing.csv"}, **CFG})
    assert "missing.csv" in line and "file not found" in line


def test_customers_option_pointing_at_a_missing_file(write_case, run_cli, one_error, tmp_path):
    cfg = write_case(GOOD, CFG)
    code, _, err = run_cli("report", "--config", str(cfg), "--customers", str(tmp_path / "other.csv"),
                           "--out", str(tmp_path / "out"), "--no-pdf")
    line = one_error(code, err)
    assert "other.csv" in line and "file not found" in line


def test_empty_file(report_errors):
    line = report_errors("", CFG)
    assert "customers.csv" in line and "empty" in line


def test_header_only(report_errors):
    line = report_errors("id,income,wine,meat\n", CFG)
    assert "customers.csv" in line and "no rows" in line


def test_unknown_config_key(report_errors):
    line = report_errors(GOOD, {**CFG, "segmentation": {"kk": 3}})
    assert "config.yml" in line and "'segmentation.kk'" in line and "did you mean 'k'?" in line


def test_unknown_top_level_key(report_errors):
    line = report_errors(GOOD, {**CFG, "sede": 3})
    assert "'sede'" in line and "did you mean 'seed'?" in line


def test_wrong_type_in_config(report_errors):
    line = report_errors(GOOD, {**CFG, "seed": "abc"})
    assert "'seed'" in line and "'abc'" in line


def test_invalid_yaml(report_errors):
    line = report_errors(GOOD, "customers:\n  path: [customers.csv\n")
    assert "config.yml" in line and "not valid YAML" in line


def test_empty_config(report_errors):
    line = report_errors(GOOD, "")
    assert "config.yml" in line and "empty" in line


def test_absent_column(report_errors):
    line = report_errors(GOOD, {"columns": {"id": "id", "income": "Income"}})
    assert "customers.csv" in line and "'Income'" in line and "columns.income" in line


def test_text_in_numeric_column(report_errors):
    line = report_errors(GOOD + "4,abc,1,2,2014-04-01\n", CFG)
    assert "'income'" in line and "1 value(s)" in line and "'abc'" in line and "line 5" in line


def test_unparseable_dates(report_errors):
    csv = GOOD + "4,400,1,2,tomorrow\n"
    line = report_errors(csv, {"columns": {**COLUMNS, "signup_date": "joined"}})
    assert "'joined'" in line and "format" in line


def test_dates_not_in_the_configured_format(report_errors):
    csv = GOOD + "4,400,1,2,2014-13-45\n"
    line = report_errors(csv, {"columns": {**COLUMNS, "signup_date": "joined", "signup_date_format": "%Y-%m-%d"}})
    assert "'joined'" in line and "'2014-13-45'" in line and "line 5" in line


def test_fewer_usable_customers_than_segments(report_errors):
    line = report_errors(GOOD, {**CFG, "segmentation": {"k": 5}})
    assert "customers.csv: 3 usable customers are too few for 5 segments of at least 5 customers" in line


def test_minimum_segment_size_in_customers_is_a_boundary(write_case, run_cli, tmp_path):
    # 15 customers make 3 segments of at least 5; 14 do not
    rows = "".join(f"{i},{100 * i},{i % 7},{(i * 3) % 11},2014-01-{1 + i:02d}\n" for i in range(1, 16))
    header = "id,income,wine,meat,joined\n"
    for n, code in ((14, 2), (15, 0)):
        text = header + "".join(rows.splitlines(keepends=True)[:n])
        cfg = write_case(text, CFG)
        got, _, err = run_cli("check", "--config", str(cfg))
        assert got == code, err


def test_too_few_customers_for_any_search(report_errors):
    line = report_errors("id,income\n1,5\n2,6\n", {"columns": {"id": "id", "income": "income"}})
    assert "2 usable customers are too few for 3 segments" in line


def test_nothing_to_segment_on(report_errors):
    line = report_errors("id,income\n1,5\n2,5\n3,5\n", {"columns": {"id": "id", "income": "income"},
                                                        "segmentation": {"min_segment_customers": 1}})
    assert "customers.csv" in line and "no varying numeric feature" in line


def test_unknown_feature(report_errors):
    line = report_errors(GOOD, {**CFG, "features": ["incme"], "segmentation": {"min_segment_customers": 1}})
    assert "'incme'" in line and "income" in line


def test_binary_file(report_errors):
    line = report_errors(b"\x00\x01\x02\x03id,income\n1,2\n", CFG)
    assert "binary" in line


def test_failed_run_leaves_the_previous_site_intact(report_errors, tmp_path):
    old = tmp_path / "out" / "site" / "index.html"
    old.parent.mkdir(parents=True)
    old.write_text("previous report", encoding="utf-8")
    report_errors(GOOD + "4,abc,1,2,2014-04-01\n", CFG)
    assert old.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in old.parent.iterdir()) == ["index.html"]


def test_row_with_too_many_fields(report_errors):
    line = report_errors("id,income\n1,2\n3,4,5\n6,7\n", {"columns": {"id": "id", "income": "income"}})
    assert "customers.csv" in line


def test_infinite_number_gives_a_clear_error_or_is_cleaned(write_case, run_cli, one_error, tmp_path):
    csv = "id,income,wine\n1,100,1\n2,200,5\n3,inf,3\n4,150,2\n"
    cfg = write_case(csv, {"columns": {"id": "id", "income": "income", "spend": {"W": "wine"}},
                           "segmentation": {"min_segment_customers": 1}})
    code, _, err = run_cli("report", "--config", str(cfg), "--out", str(tmp_path / "out"), "--no-pdf",
                           "--sources-only")
    assert "Traceback" not in err
    if code != 0:
        assert "'income'" in one_error(code, err)


def test_truncated_gzip(report_errors):
    data = gzip.compress(GOOD.encode() * 50)
    line = report_errors(data[: len(data) // 2], {"customers": {"path": "customers.csv.gz"}, **CFG},
                         name="customers.csv.gz")
    assert "customers.csv.gz" in line


def test_synth_writes_a_table_its_truth_and_a_config_the_report_accepts(tmp_path, run_cli):
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    code, _, err = run_cli("synth", "--customers", "900", "--segments", "3", "--seed", "2", "--out", str(tmp_path))
    assert code == 0, err
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert len(truth) == 900 and truth["planted_segment"].nunique() == 3
    code, _, err = run_cli("report", "--config", str(tmp_path / "config.yml"), "--out", str(tmp_path / "out"),
                           "--no-pdf")
    assert code == 0, err
    a = pd.read_csv(tmp_path / "out" / "exports" / "assignments.csv")
    assert (a["customer_id"].to_numpy() == truth["customer_id"].to_numpy()).all()
    assert adjusted_rand_score(truth["planted_segment"], a["segment"]) >= 0.9


def test_synth_rejects_too_few_customers(run_cli, tmp_path):
    code, _, err = run_cli("synth", "--customers", "10", "--out", str(tmp_path))
    assert code == 2 and err.strip().splitlines() == ["error: --customers must be at least 80 for 4 segments"]


def _unwritable_folder():
    """A folder that exists and that os.access calls writable even for root, but where no file can
    be created (sysfs); None where there is none to test with."""
    import os
    import tempfile

    folder = Path("/sys")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        return None
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError:
        return folder


@pytest.mark.skipif(_unwritable_folder() is None, reason="no folder here that permissions call writable but is not")
@pytest.mark.parametrize("command", [["synth", "--customers", "100"], ["report", "--config", "x.yml"]])
def test_out_where_no_file_can_be_created_is_one_line(run_cli, one_error, command):
    """os.access says yes for root on a read-only or virtual file system: a file is actually created."""
    out = _unwritable_folder() / "segments-out"
    code, _, err = run_cli(*command, "--out", str(out))
    line = one_error(code, err)
    assert f"{out}: --out is not writable (cannot create a file in /sys" in line


def test_master_without_the_spark_engine(report_errors):
    line = report_errors(GOOD, CFG, extra=("--master", "local[2]"))
    assert "--master" in line and "--engine spark" in line


def test_spark_engine_without_pyspark_or_java_is_one_line(report_errors, monkeypatch):
    import analysis.engine as engine
    monkeypatch.setattr(engine, "spark_missing", lambda: "Java is not installed (Debian: apt-get install x)")
    line = report_errors(GOOD, {**CFG, "engine": "spark"})
    assert "engine spark" in line and "Java is not installed" in line


def test_unknown_engine_is_named(report_errors):
    line = report_errors(GOOD, {**CFG, "engine": "dask"})
    assert "engine" in line and "dask" in line


def test_a_catalog_table_without_the_spark_engine(report_errors):
    config = ("transactions:\n  table: sales.order_lines\n  customer: c\n  order: o\n  timestamp: t\n"
              "  product: p\n  quantity: q\n  unit_price: u\n")
    line = report_errors(GOOD, config)
    assert "transactions.table (sales.order_lines) is read from a Spark catalog" in line and "--engine spark" in line


def test_too_few_customers_says_why_the_others_were_left_out(report_errors):
    # An id column that is no id (9 values over 40 rows): the error says where the customers went.
    rows = "".join(f"{1 + i % 9},{100 + 7 * i},{i % 5}\n" for i in range(40))
    line = report_errors("note,income,wine\n" + rows, {"columns": {"id": "note", "income": "income"}})
    assert "9 usable customers are too few for 3 segments" in line
    assert line.endswith("; 31 rows excluded: customer id repeated with different values (first row kept)")


def test_the_command_line_imports_nothing_heavy_before_it_parses():
    """`segments --help` and argument errors answer at once: the command line module imports neither
    pandas, numpy, pydantic nor the report's stages (they load once a command runs)."""
    import subprocess
    import sys
    code = ("import sys, analysis.cli; heavy = [m for m in ('pandas', 'numpy', 'pydantic', 'analysis.config', "
            "'analysis.publish.outputs') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"



def test_numpy_huge_page_advice_is_off_unless_the_user_asks_for_it():
    """Large arrays faulted in with huge-page advice stall on memory compaction on Debian's default
    kernel settings: the package turns NumPy's advice off, whether NumPy was imported before it or
    after, and keeps the user's own NUMPY_MADVISE_HUGEPAGE."""
    import os
    import subprocess
    import sys
    get = "import numpy; print(numpy._core.multiarray._get_madvise_hugepage())"
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    for code in ("import analysis; " + get, "import numpy, analysis; " + get):
        assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=env).stdout.strip() == "False", code
    asked = subprocess.run([sys.executable, "-c", "import analysis; " + get], capture_output=True, text=True,
                           check=True, env={**env, "NUMPY_MADVISE_HUGEPAGE": "1"}).stdout.strip()
    assert asked == "True"


def test_arrow_allocates_from_malloc_in_a_run_unless_the_user_names_a_pool(tmp_path):
    """A run (report or assign) makes Arrow allocate with the C library's malloc: its bundled
    mimalloc returned freed pages to the system and faulted them in again, a third of a large run's
    time. A pool named in ARROW_DEFAULT_MEMORY_POOL is kept."""
    import os
    import subprocess
    import sys
    code = ("import sys, pyarrow as pa; from analysis.errors import UserError\n"
            "from analysis.config import parse_config; from analysis.pipeline import analyse; from analysis.assign import assign\n"
            "for run in (lambda: analyse(parse_config({'customers': {'path': 'absent.csv'}, 'columns': {'id': 'id'}}, "
            "base_dir=sys.argv[1])), lambda: assign(sys.argv[1], None, None)):\n"
            "    pa.set_memory_pool(pa.mimalloc_memory_pool())\n"
            "    try: run()\n"
            "    except UserError: pass\n"
            "    print(pa.default_memory_pool().backend_name)\n")
    # The order lines' load allocates from mimalloc (less held beside DuckDB at its peak), then the
    # run's pool again.
    code += ("from analysis.memory import arrow_pool\n"
             "pa.set_memory_pool(pa.system_memory_pool())\n"
             "with arrow_pool('mimalloc'): print(pa.default_memory_pool().backend_name)\n"
             "print(pa.default_memory_pool().backend_name)\n")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    run = lambda env: subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                                     check=True, env=env).stdout.split()
    assert run(env) == ["system", "system", "mimalloc", "system"]
    assert run({**env, "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}) == ["mimalloc", "mimalloc", "system", "system"]
