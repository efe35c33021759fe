"""A Celery worker process moves what it starts with out of the garbage collector's way
(config.celery): a sync chunk allocates enough to run full collections, which would walk the
~120,000 objects of Django, the apps and the task modules every time."""

from __future__ import annotations

import gc

from celery.signals import worker_process_init

from config.celery import _freeze_start_up_objects


def test_a_new_worker_process_freezes_the_objects_it_starts_with():
    assert _freeze_start_up_objects in worker_process_init._live_receivers(None)
    before = gc.get_freeze_count()
    try:
        _freeze_start_up_objects()
        assert gc.get_freeze_count() > max(before, 10_000)
    finally:
        gc.unfreeze()
