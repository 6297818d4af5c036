"""One step's independent pieces (columns, segments) on every core, in threads: for the steps whose
work runs outside the GIL (Arrow's text kernels, numpy's sorts and partitions, BLAS)."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def each(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """[fn(x) for x in items], computed side by side; results, and the exception raised if any, in
    the items' order (the first failing item's, as a loop would raise)."""
    items = list(items)
    if len(items) < 2 or (os.cpu_count() or 1) < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(min(os.cpu_count() or 1, len(items))) as pool:
        return list(pool.map(fn, items))
