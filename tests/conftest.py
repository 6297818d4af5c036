"""Shared fixtures: the demo run (computed once per session) and helpers that write a tiny
CSV + YAML config pair in tmp_path and run the cleaning step or the `segments` CLI on it."""
from __future__ import annotations

import os

# One OpenMP thread for k-means: on a busy 2-core machine, OpenMP threads that spin-wait for a core
# make the demo search 15x slower (40 s instead of 2.5 s). Results do not depend on the thread count.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

from analysis.ingest.cleaning import clean  # noqa: E402
from analysis.cli import main  # noqa: E402
from analysis.config import load_config, parse_config  # noqa: E402
from analysis.ingest.loading import load_customers  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


SPARK_FILES = ("test_spark.py", "test_spark_formats.py")  # the two longest files, a Spark cluster each


def pytest_collection_modifyitems(items):
    """The Spark files first: with two workers (`make test`: one file per worker at a time, in this
    order, --no-loadscope-reorder) each starts on one of them and the other files share out the
    rest, instead of a Spark file left to run alone at the end."""
    items.sort(key=lambda item: item.path.name not in SPARK_FILES)
DEMO_CONFIG = REPO / "data" / "marketing_campaign.yml"


@pytest.fixture(scope="session")
def retail_demo(tmp_path_factory) -> Path:
    """The order-line demo built once, with its PDF, for every module that reads it (never changed)."""
    from analysis.publish.pdf import chart_engine_missing

    out = tmp_path_factory.mktemp("retail-demo")
    assert chart_engine_missing() is None, chart_engine_missing()
    assert main(["report", "--config", str(REPO / "data" / "online_retail.yml"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def demo_run():
    """The bundled demo analysed once: `analysis.pipeline.Run` (results, assignments, customers)."""
    from analysis.pipeline import analyse

    return analyse(load_config(DEMO_CONFIG))


def _write(folder: Path, csv_text: str | bytes, config: dict | str, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = csv_text if isinstance(csv_text, bytes) else csv_text.encode("utf-8")
    (folder / name).write_bytes(data)
    if isinstance(config, dict):
        config = yaml.safe_dump({"customers": {"path": name}, **config}, sort_keys=False)
    path = folder / "config.yml"
    path.write_text(config, encoding="utf-8")
    return path


@pytest.fixture
def write_case(tmp_path):
    """write_case(csv_text, config) -> path of config.yml; `config` is a dict of everything but
    `customers` (added, pointing at the CSV) or the YAML text itself."""
    def write(csv_text: str | bytes, config: dict | str, name: str = "customers.csv") -> Path:
        return _write(tmp_path, csv_text, config, name)
    return write


@pytest.fixture
def clean_csv(tmp_path):
    """clean_csv(csv_text, config_dict) -> CleanData, through the real loader."""
    def run(csv_text: str | bytes, config: dict, name: str = "customers.csv"):
        path = _write(tmp_path, csv_text, config, name)
        cfg = load_config(path)
        return clean(load_customers(cfg), cfg)
    return run


@pytest.fixture
def config_for(tmp_path):
    """config_for(csv_text, config_dict) -> Config (validated, with its base folder set)."""
    def make(csv_text: str | bytes, config: dict, name: str = "customers.csv"):
        path = _write(tmp_path, csv_text, config, name)
        return parse_config(yaml.safe_load(path.read_text()), str(path), tmp_path)
    return make


@pytest.fixture
def run_cli(capsys, tmp_path):
    """run_cli(*args) -> (exit code, stdout, stderr) of `segments ...` run in-process."""
    def run(*args: str):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse: --help, usage errors
            code = e.code
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture
def report_errors(write_case, run_cli, tmp_path):
    """report_errors(csv_text, config) -> the one `error:` line of a failing `segments report`
    (asserting exit code 2, exactly one error line, that it is the last line, no traceback)."""
    def run(csv_text, config, name: str = "customers.csv", extra: tuple[str, ...] = ()) -> str:
        cfg_path = write_case(csv_text, config, name)
        code, _, err = run_cli("report", "--config", str(cfg_path), "--out", str(tmp_path / "out"), "--no-pdf", *extra)
        return assert_one_error(code, err)
    return run


def assert_one_error(code, err: str) -> str:
    assert "Traceback" not in err
    assert code == 2, err
    lines = err.splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, err
    # Progress lines ("[  0.0s] ...") come first; the error is one line and the last one.
    assert lines[-1] == errors[0], f"the error message spans several lines:\n{err}"
    return errors[0]


def log_entries(log, step: str | None = None, column: str | None = None):
    return [e for e in log if (step is None or e.step == step) and (column is None or e.column == column)]


@pytest.fixture
def one_error():
    """one_error(exit_code, stderr) -> the single `error:` line (see assert_one_error)."""
    return assert_one_error


@pytest.fixture
def find_log():
    """find_log(log, step=None, column=None) -> the cleaning log entries that match."""
    return log_entries
