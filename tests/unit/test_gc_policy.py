"""The catalog's garbage-collection policy: raised while held, restored after, thread-safe."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from westgear_desk.gc_policy import (
    YOUNG_THRESHOLD,
    fewer_collections,
    raise_base_threshold,
    young_threshold,
)


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_the_young_threshold_is_raised_inside_and_restored_after() -> None:
    with fewer_collections():
        assert young_threshold() == YOUNG_THRESHOLD
        assert gc.get_threshold()[1:] == (10, 10)  # older generations keep their ratios
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_holders_restore_only_when_the_last_one_leaves() -> None:
    first_in = threading.Event()
    second_done = threading.Event()
    seen: list[int] = []

    def other() -> None:
        first_in.wait(5)
        with fewer_collections():
            seen.append(young_threshold())
        second_done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with fewer_collections():
        first_in.set()
        assert second_done.wait(5)
        seen.append(young_threshold())  # the other thread left: still raised for us
    thread.join(5)
    assert seen == [YOUNG_THRESHOLD, YOUNG_THRESHOLD]
    assert young_threshold() == 700


def test_collection_switched_off_stays_off_and_a_higher_threshold_is_kept() -> None:
    gc.set_threshold(0, 10, 10)
    with fewer_collections():
        assert young_threshold() == 0
    assert young_threshold() == 0
    gc.set_threshold(500_000, 10, 10)
    with fewer_collections():
        assert young_threshold() == 500_000
    assert young_threshold() == 500_000


def test_a_change_made_by_someone_else_meanwhile_is_not_undone() -> None:
    with fewer_collections():
        gc.set_threshold(10_000, 10, 10)  # e.g. the desk's own start-up setting
    assert young_threshold() == 10_000


def test_the_threshold_is_restored_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("page failed")
    assert young_threshold() == 700


def test_a_base_raised_during_a_run_is_kept_when_the_run_ends() -> None:
    """The desk's start-up setting may come while a catalog run already holds the policy."""
    with fewer_collections():
        raise_base_threshold(10_000)
        assert young_threshold() == YOUNG_THRESHOLD
    assert young_threshold() == 10_000


def test_raising_the_base_outside_a_run_never_lowers_it() -> None:
    raise_base_threshold(10_000)
    assert young_threshold() == 10_000
    raise_base_threshold(5_000)
    assert young_threshold() == 10_000
    with fewer_collections():
        pass
    assert young_threshold() == 10_000
