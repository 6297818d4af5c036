"""Where a build writes, so that readers only ever see a whole run.

A build holds a lock on its output folder, writes site/ and exports/ into a staging folder beside
them, and publishes both at the end by renaming. The renames are recorded in a journal first: a
build killed between them is completed by the next one, which also removes any staging folder
left behind. Only the last step touches site/ and exports/, so a build that fails or is killed
earlier leaves the previous outputs exactly as they were.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError

LOCK = ".segments.lock"  # holds the building process's id; the lock itself is an flock on it
JOURNAL = ".segments.swap"  # names the staging folder whose outputs are being published
STAGING = ".build-"
OUTPUTS = ("site", "exports")
LEFTOVERS = (STAGING + "*", ".site-*")  # staging folders, and those of earlier versions


@contextmanager
def locked(out: Path):
    """Hold the output folder for one build. A second build into the same folder stops at once
    with one line naming the first; the kernel drops the lock of a process that died, so a stale
    lock is simply taken over."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise UserError(f"{out}: another build (process {holder}) is writing into this folder; "
                        "wait for it to finish, or stop it") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        recover(out)
        yield
    finally:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def recover(out: Path) -> None:
    """Finish a publication that a killed build left half done, then remove staging folders.
    Only called with the lock held, so no other build is using them."""
    journal = out / JOURNAL
    if journal.exists():
        stage = out / journal.read_text(encoding="utf-8").strip()
        if stage.parent == out and stage.name.startswith(STAGING) and stage.is_dir():
            _move_in(out, stage)
        journal.unlink()
    for pattern in LEFTOVERS:
        for folder in out.glob(pattern):
            shutil.rmtree(folder, ignore_errors=True)


def staging(out: Path) -> Path:
    """A fresh, private folder beside the outputs, on the same file system (so renames work)."""
    return Path(tempfile.mkdtemp(prefix=STAGING, dir=out))


def publish(out: Path, stage: Path) -> None:
    """Make the staged outputs the current ones: permissions first (site/ readable by a web server
    running as another user, exports/ private), then the journal, then one rename per output."""
    if (stage / "site").is_dir():
        _permissions(stage / "site", 0o755, 0o644)
    if (stage / "exports").is_dir():
        _permissions(stage / "exports", 0o700, 0o600)
    tmp = out / (JOURNAL + ".tmp")
    tmp.write_text(stage.name + "\n", encoding="utf-8")
    os.replace(tmp, out / JOURNAL)
    _move_in(out, stage)
    (out / JOURNAL).unlink()
    shutil.rmtree(stage, ignore_errors=True)


def _move_in(out: Path, stage: Path) -> None:
    for name in OUTPUTS:
        new = stage / name
        if not new.is_dir():
            continue  # published already, or not built by this run
        old = stage / f"{name}.old"
        if (out / name).exists() and not old.exists():
            (out / name).rename(old)
        elif (out / name).exists():
            shutil.rmtree(out / name)  # the previous run's copy was moved aside already
        new.rename(out / name)


def _permissions(root: Path, folders: int, files: int) -> None:
    root.chmod(folders)
    for path in root.rglob("*"):
        path.chmod(folders if path.is_dir() else files)


# ---------------------------------------------------------------- stopping cleanly


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised where the build is, so that every `finally` runs."""


def on_terminate(signum, frame) -> None:
    raise Stopped()


def end_children(grace: float = 3.0) -> None:
    """End every process this one started (pandoc, the browser kaleido drives and its helpers)
    that is still running: TERM, then KILL after `grace` seconds."""
    left = _descendants(os.getpid())
    for pid in left:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if _alive(p)]
    for pid in left:
        _signal(pid, signal.SIGKILL)


def _descendants(root: int) -> list[int]:
    """Processes below `root`, from /proc (Linux); empty where /proc is not there."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    found, todo = [], [root]
    while todo:
        p = todo.pop()
        kids = [c for c, parent in parents.items() if parent == p]
        found += kids
        todo += kids
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
