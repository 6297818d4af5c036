"""Freed memory handed back to the system between the steps that hold a million rows."""
from __future__ import annotations

import sys


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
