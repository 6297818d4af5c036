"""Independent fits side by side on the machine's cores."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")


def cores() -> int:
    """Cores this process may run on (a container's share, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _one_thread() -> None:
    # OpenMP's thread count is set per thread: a pool's threads start with the library's default,
    # not the run's limit of one, and a fit on two threads per core would crowd the other fits.
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def fit_each(fit: Callable[[T], object], items: Iterable[T]) -> list:
    """fit(item) for every item, in order, the fits side by side on the machine's cores. They are
    independent and seeded, so the results are those of one loop; they run in compiled code that
    releases Python's lock (scikit-learn's k-means, BLAS, SciPy's linkage), so threads share the cores."""
    items = list(items)
    workers = min(cores(), len(items))
    if workers <= 1:
        return [fit(i) for i in items]
    with ThreadPoolExecutor(workers, initializer=_one_thread) as pool:
        return list(pool.map(fit, items))
