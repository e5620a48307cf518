"""Start-up objects leave the collector's sight once per process, never again after."""

from __future__ import annotations

import gc

from westgear_desk.ui.collector import freeze_start_up_objects


def test_start_up_objects_are_frozen_once() -> None:
    freeze_start_up_objects()
    frozen = gc.get_freeze_count()
    assert frozen > 1000  # the modules and classes loaded so far
    garbage_later = [[] for _ in range(10)]
    assert freeze_start_up_objects() is False
    assert gc.get_freeze_count() <= frozen  # what came later stays collectable
    del garbage_later


def test_the_young_generation_is_collected_less_often_once_started() -> None:
    freeze_start_up_objects()
    assert gc.get_threshold()[0] >= 10_000
