"""Pool workers' set-up: the collector of a worker that lints target after target."""

from __future__ import annotations

import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from modellint.process import WORKER_COLLECTION_THRESHOLD, init_worker


def _collector_state() -> tuple[int, tuple[int, int, int]]:
    return gc.get_freeze_count(), gc.get_threshold()


@pytest.mark.skipif(os.name != "posix", reason="the pool forks its workers on POSIX only")
def test_a_worker_freezes_what_it_inherits_and_collects_less_often():
    parent_state = _collector_state()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=init_worker,
                             initargs=(os.getpid(),)) as pool:
        frozen, threshold = pool.submit(_collector_state).result(timeout=60)
    assert frozen > 0
    assert threshold == (WORKER_COLLECTION_THRESHOLD, *parent_state[1][1:])
    assert _collector_state() == parent_state  # the parent's collector is left as it was
