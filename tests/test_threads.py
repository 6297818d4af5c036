"""analysis.threads.each: side by side, yet a loop's results and a loop's first error."""
from __future__ import annotations

import threading
import time

import pytest

from analysis.threads import PARALLEL_ROWS, each


def test_results_come_in_the_items_order_whichever_finishes_first():
    def slow_first(i: int) -> int:
        time.sleep(0.05 if i == 0 else 0.0)
        return i * i

    assert each(slow_first, range(6), PARALLEL_ROWS) == [0, 1, 4, 9, 16, 25]
    assert each(slow_first, [], PARALLEL_ROWS) == []


def test_the_error_raised_is_the_first_failing_items_as_a_loop_would_raise():
    def fail(i: int) -> int:
        if i in (1, 3):
            time.sleep(0.05 if i == 1 else 0.0)  # item 3 fails first in time
            raise ValueError(f"item {i}")
        return i

    with pytest.raises(ValueError, match="item 1"):
        each(fail, range(5), PARALLEL_ROWS)


def test_items_run_side_by_side_on_a_machine_of_more_than_one_core(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    seen = set()

    def who(_):
        seen.add(threading.get_ident())
        time.sleep(0.02)

    each(who, range(4), PARALLEL_ROWS)
    assert len(seen) == 2


def test_a_small_table_stays_in_one_thread(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    seen = set()
    each(lambda _: seen.add(threading.get_ident()), range(4), PARALLEL_ROWS - 1)
    assert seen == {threading.get_ident()}
