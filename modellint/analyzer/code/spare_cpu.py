"""Whether the walk may fork a scan-ahead helper now (:mod:`.scan_ahead`).

Kept apart from the helper itself: the walk asks this every so often, and a run whose machine
never has a CPU to spare imports none of the helper's pickling, pipes and signals.
"""

from __future__ import annotations

import os
import sys


def may_start() -> bool:
    """Whether this process may fork a helper: Linux (a plain fork), not a ``--jobs`` worker (the
    pool already keeps the CPUs busy), no thread running (a fork copies only the calling one),
    and a CPU to spare (:func:`cpu_to_spare`)."""
    if not sys.platform.startswith("linux"):
        return False
    multiprocessing = sys.modules.get("multiprocessing")  # a pool worker has it imported, and a parent
    if multiprocessing is not None and multiprocessing.parent_process() is not None:
        return False
    threading = sys.modules.get("threading")
    return (threading is None or threading.active_count() <= 1) and cpu_to_spare()


def cpu_to_spare() -> bool:
    """Whether a second CPU is idle now: this process may run on two or more, and fewer other
    tasks are runnable at this moment than leave one of them free (the running count of
    ``/proc/loadavg``, which counts this process too). The load average would say what the last
    minute was like: a machine whose other jobs just ended looked busy, and one where they just
    began looked idle. On a machine whose CPUs are all busy the helper only takes time from the
    walk (measured: the vendored project 1.27 s alone, 1.48 s with the helper, at a load of 6
    on 2 CPUs; processes of one session share one scheduling group, so the helper's CPU comes
    out of the walk's) and costs its memory for nothing."""
    try:
        cpus = len(os.sched_getaffinity(0))
        running = runnable_now()
    except (AttributeError, OSError, IndexError, ValueError):
        return False
    return cpus >= 2 and running + 1 <= cpus


def runnable_now() -> int:
    """Tasks runnable on the machine at this moment, this one included (Linux)."""
    with open("/proc/loadavg", "rb") as loadavg:
        return int(loadavg.read().split()[3].split(b"/")[0])
