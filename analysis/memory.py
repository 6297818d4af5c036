"""Freed memory handed back to the system between the steps that hold a million rows."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager


def use_system_allocator() -> None:
    """Arrow's buffers (tables read, text columns, DuckDB's results) from the C library's malloc,
    like numpy's, unless ARROW_DEFAULT_MEMORY_POOL names another. Arrow's bundled mimalloc hands
    freed pages back to the system at once and faults them in again for the next array: a report
    on 1M customers spent 13 to 16 of its 44 to 47 s in the kernel, against 5 of 33 to 39 s with
    malloc (bench/bench_scale.py --customers 1000000)."""
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())


@contextmanager
def arrow_pool(name: str):
    """Arrow allocating from its `name` pool ("mimalloc", "system") inside the block, unless
    ARROW_DEFAULT_MEMORY_POOL names one."""
    import pyarrow as pa

    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        yield
        return
    before = pa.default_memory_pool()
    pa.set_memory_pool(getattr(pa, f"{name}_memory_pool")())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


def release_memory() -> None:
    """Hand freed memory back to the system between stages, where the next stage's arrays could
    not use it: Arrow's allocator keeps freed pages for a while (the table's text), and glibc's
    heap keeps freed blocks of a few MiB (a stage's temporary arrays of 1M rows) resident."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc():
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc
        return None


_LIBC = _glibc() if sys.platform.startswith("linux") else None
