"""Outputs a reader can trust: a build killed, stopped, run twice at once or out of disk leaves
the previous site/ and exports/ byte for byte; a finished build publishes both together, with
site/ readable by a web server and exports/ private."""
from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.publish import outputs
from analysis.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _snapshot(out: Path) -> dict[str, str]:
    """Every file of site/ and exports/ with its SHA-256."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for d in ("site", "exports") for p in sorted((out / d).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """A small synthetic table, its config, and a first build (with the PDF) to protect."""
    root = tmp_path_factory.mktemp("outputs")
    assert main(["synth", "--customers", "500", "--segments", "3", "--seed", "5", "--out", str(root / "data")]) == 0
    config = root / "data" / "config.yml"
    out = root / "out"
    assert main(["report", "--config", str(config), "--out", str(out)]) == 0
    return config, out


def _start(config: Path, out: Path, *extra: str) -> subprocess.Popen:
    """A build in its own process, reporting progress on stderr; seed 7 so that its outputs would
    differ from the first build's."""
    return subprocess.Popen([sys.executable, "-m", "analysis", "report", "--config", str(config), "--out", str(out),
                             "--seed", "7", *extra], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _kill_all(proc: subprocess.Popen) -> None:
    """SIGKILL to the build and everything it started (a browser outlives its killed parent)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)
    # The rest of the group dies as the kernel gets to it: until the last member is gone, one may still
    # hold the output folder's lock, and the next build rightly finds "another build" writing there.
    # At most 5 s: a member left as a zombie (no init to reap it) holds nothing, yet still counts.
    for _ in range(50):
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def _wait_for(proc: subprocess.Popen, message: str) -> list[str]:
    """Reads the build's progress until a line contains `message`; returns the lines read."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if message in line:
            return seen
    raise AssertionError(f"the build ended before '{message}': {''.join(seen)[-2000:]}")


@pytest.mark.parametrize("point", ["writing exports", "drawing", "typesetting the PDF", "rendering"])
def test_killed_build_leaves_previous_outputs(case, point):
    config, out = case
    before = _snapshot(out)
    proc = _start(config, out)
    try:
        _wait_for(proc, point)
    finally:
        _kill_all(proc)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(out) == before
    assert list(out.glob(outputs.STAGING + "*")), "the killed build's staging folder is expected to remain"


def test_next_build_removes_leftovers_and_publishes_together(case):
    config, out = case
    stale = out / (outputs.STAGING + "dead")
    (stale / "site").mkdir(parents=True, exist_ok=True)
    assert main(["report", "--config", str(config), "--out", str(out), "--no-pdf", "--seed", "9"]) == 0
    assert not list(out.glob(outputs.STAGING + "*")) and not (out / outputs.JOURNAL).exists()
    import json

    manifest = json.loads((out / "exports" / "results.json").read_text())["manifest"]
    assert manifest["seed"] == 9
    assert not (out / "site" / "report.pdf").exists()  # the whole site is this run's, PDF included


def test_half_published_run_is_completed_by_the_next_start(tmp_path):
    """Killed between its two renames, a publication is finished by the next build's start."""
    out = tmp_path
    for name, text in (("site", "old site"), ("exports", "old exports")):
        (out / name).mkdir()
        (out / name / "f").write_text(text)
    stage = outputs.staging(out)
    for name, text in (("site", "new site"), ("exports", "new exports")):
        (stage / name).mkdir()
        (stage / name / "f").write_text(text)
    (out / outputs.JOURNAL).write_text(stage.name)
    (out / "site").rename(stage / "site.old")  # the first rename of the first output...
    (stage / "site").rename(out / "site")  # ...and its second; exports not yet
    with outputs.locked(out):
        pass
    assert (out / "site" / "f").read_text() == "new site" and (out / "exports" / "f").read_text() == "new exports"
    assert not stage.exists() and not (out / outputs.JOURNAL).exists()


def test_second_build_into_the_same_folder_stops_at_once(case, capsys):
    config, out = case
    before = _snapshot(out)
    proc = _start(config, out, "--no-pdf")
    try:
        _wait_for(proc, "cleaning")
        t0 = time.monotonic()
        assert main(["report", "--config", str(config), "--out", str(out), "--no-pdf"]) == 2
        assert time.monotonic() - t0 < 5  # at once, not after a whole analysis
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and f"process {proc.pid}" in err and str(out) in err
        assert _snapshot(out) == before  # nothing of the refused build
    finally:
        _kill_all(proc)


def test_lock_of_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / outputs.LOCK).write_text("999999\n")  # a lock file left by a process that died
    with outputs.locked(tmp_path):
        assert (tmp_path / outputs.LOCK).read_text().strip() == str(os.getpid())


def test_sigterm_ends_children_and_removes_staging(case):
    """Stopped while kaleido's browser draws the PDF's charts: every child process ends, the
    staging folder goes, the previous outputs stay."""
    config, out = case
    before = _snapshot(out)
    proc = _start(config, out)
    children: set[int] = set()
    try:
        _wait_for(proc, "drawing")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("chrom" in _name(p) for p in children):
            children |= set(outputs._descendants(proc.pid))
            time.sleep(0.1)
        assert any("chrom" in _name(p) for p in children), "no browser was running: nothing to test"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            _kill_all(proc)
    assert proc.returncode == 143
    time.sleep(0.5)
    assert not [p for p in children if outputs._alive(p)]
    assert not list(out.glob(outputs.STAGING + "*"))
    assert _snapshot(out) == before


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def test_full_disk_leaves_previous_outputs(case, monkeypatch, capsys):
    """A write that fails part-way (as on a full disk) stops the build with one line; nothing of
    it is published or left behind."""
    config, out = case
    before = _snapshot(out)
    import analysis.publish.exports as exports

    real = exports.write_exports

    def half_then_full(run, folder):
        real(run, folder)
        with open(folder / "assignments.csv", "a") as f:
            f.write("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("analysis.engine.local.write_exports", half_then_full)  # the local engine writes them
    assert main(["report", "--config", str(config), "--out", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "No space left on device" in err and str(out) in err
    assert _snapshot(out) == before
    assert not list(out.glob(outputs.STAGING + "*"))


def test_site_is_world_readable_and_exports_private(tmp_path):
    """Whatever the umask, a web server running as another user can read site/, and only the
    owner can read exports/."""
    assert main(["synth", "--customers", "300", "--segments", "2", "--seed", "5", "--out", str(tmp_path / "d")]) == 0
    old = os.umask(0o077)
    try:
        assert main(["report", "--config", str(tmp_path / "d" / "config.yml"), "--out", str(tmp_path / "o"),
                     "--no-pdf"]) == 0
    finally:
        os.umask(old)
    site, exports = tmp_path / "o" / "site", tmp_path / "o" / "exports"
    for p in [site, *site.rglob("*")]:
        assert p.stat().st_mode & 0o777 == (0o755 if p.is_dir() else 0o644), p
    for p in [exports, *exports.rglob("*")]:
        assert p.stat().st_mode & 0o777 == (0o700 if p.is_dir() else 0o600), p


def test_a_stopped_build_stops_the_chart_drawer_before_removing_its_staging(case, tmp_path, monkeypatch):
    """The PDF's charts are drawn by a thread of their own into the staging folder: stopped while it
    writes, the build closes the drawer first, or the folder was removed under the thread's feet
    and stayed (a file written between the removal's listing and its last rmdir)."""
    import threading
    from contextlib import closing

    from analysis import report
    from analysis.publish.outputs import Stopped

    config, _ = case
    out = tmp_path / "out"
    out.mkdir()

    class Drawer:  # writes a chart every millisecond until closed, as kaleido's thread would
        def __init__(self):
            self.stop, self.thread = threading.Event(), None

        def start(self, folder):
            def write():
                i = 0
                while not self.stop.is_set():
                    (folder / f"{i % 50}.svg").write_text("<svg/>")
                    i += 1
            self.thread = threading.Thread(target=write)
            self.thread.start()

        def close(self):
            self.stop.set()
            if self.thread is not None:
                self.thread.join()

    drawer = Drawer()

    def build(run, out, stage, drawer_, *rest):
        (stage / "pdf").mkdir()
        drawer_.start(stage / "pdf")
        for i in range(200):  # files of its own being written too, as the site is built
            (stage / f"{i}.html").write_text("x")
        raise Stopped()

    monkeypatch.setattr(report, "_pdf_available", lambda progress: True)
    monkeypatch.setattr(report, "_chart_drawer", lambda: closing(drawer))
    monkeypatch.setattr(report, "analyse", lambda cfg, progress, eng: None)
    monkeypatch.setattr(report, "_build", build)
    with pytest.raises(Stopped):
        report.build_report(config, out)
    assert drawer.stop.is_set() and not drawer.thread.is_alive()
    assert not list(out.glob(outputs.STAGING + "*"))


def test_a_large_csv_is_written_a_block_of_rows_at_a_time_and_reads_as_one(tmp_path, monkeypatch):
    """exports.write_csv writes blocks of rows: the file is csv_bytes of the whole table, header
    once (a name with a comma, a quote and a line break), formulas made inert in every block."""
    import numpy as np
    import pandas as pd

    from analysis.publish import exports

    n = 23
    frame = pd.DataFrame({"id": [f"=c{i}" if i % 5 == 0 else f"c{i}" for i in range(n)],
                          'spend, "net"\nEUR': np.linspace(-1.123456789, 3e-7, n), "flag": [i % 2 == 0 for i in range(n)]},
                         index=pd.Index([f"+{i}" for i in range(n)], name="customer"))
    monkeypatch.setattr(exports, "CSV_BLOCK", 4)
    for index, places in ((False, None), (True, 6)):
        path = tmp_path / f"t{index}.csv"
        exports.write_csv(frame, path, index=index, places=places)
        whole = exports.csv_bytes(frame if places is None else frame.round(places), index)
        assert path.read_bytes() == whole
        assert whole.count(b"spend") == 1 and whole.count(b"'=c") == 5
    exports.write_csv(frame.iloc[:0], tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_bytes() == exports.csv_bytes(frame.iloc[:0])
