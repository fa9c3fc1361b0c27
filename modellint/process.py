"""Process hygiene: how many workers, how they die with their parent, and what signals mean.

- ``--jobs`` is capped at the CPUs this process may run on: more workers than CPUs only cost
  memory (each forked worker grows to ~15 MB), and 1,000 of them were 15 GB.
- A worker must never outlive the run. On Linux each asks the kernel for SIGKILL when its
  parent dies (``prctl(PR_SET_PDEATHSIG)``), which covers a SIGKILL of the parent, where no
  code of ours runs; elsewhere a daemon thread polls the parent's pid.
- Workers ignore SIGINT: a Ctrl-C in a terminal reaches the whole process group, and the parent
  alone decides (it stops the pool, prints ``modellint: interrupted`` and exits 130).
- SIGTERM of the parent while a pool runs raises :class:`Terminated` in it, so the pool is
  stopped and ``finally`` blocks run on the way out (exit 143). Without a pool SIGTERM keeps
  its default action: there is nothing to stop, and `signal` stays out of start-up.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

_PR_SET_PDEATHSIG = 1
_WATCH_INTERVAL = 0.5  # seconds between two looks at the parent's pid where prctl is missing


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, as KeyboardInterrupt: no ``except Exception`` swallows it."""


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def worker_count(requested: int | None) -> int:
    """``--jobs``: the CPUs available by default, never more than them, at least one."""
    cpus = available_cpus()
    return cpus if requested is None else max(1, min(requested, cpus))


@contextmanager
def terminate_on_sigterm():
    """While inside, SIGTERM raises :class:`Terminated` (only the main thread can install handlers;
    elsewhere nothing changes)."""
    import signal

    def raise_terminated(signum, frame):
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except (ValueError, AttributeError):  # not the main thread, or no SIGTERM on this platform
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_blocked():
    """SIGINT and SIGTERM held back while worker processes are forked: a child born in the window
    before its initializer runs would otherwise die with a traceback of its own. A signal that
    arrives meanwhile is delivered when the block ends."""
    import signal

    block = getattr(signal, "pthread_sigmask", None)
    if block is None:
        yield
        return
    previous = block(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, previous)


def init_worker(parent: int) -> None:
    """The initializer of every pool worker: die with ``parent``, leave SIGINT to it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler came along with fork
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if not _kill_me_with_parent():
        _watch_parent(parent)
    if os.getppid() != parent:  # the parent died before we asked: nobody will read our results
        os._exit(1)
    collect_for_a_batch_worker()


# The cyclic collector's first threshold in a worker (CPython's default is 700 allocations).
WORKER_COLLECTION_THRESHOLD = 10_000


def collect_for_a_batch_worker() -> None:
    """Tune the cyclic garbage collector for a worker that lints target after target.

    What the worker inherits from its parent (modules, the rule registry) lives as long as it
    does: frozen, it is never traversed again, and collections no longer write to the pages the
    fork shares. A target's facts are freed by reference counting when it is done (the cycles
    found over a 2,000-dir store were a few hundred objects in all), so collecting every 700
    allocations only traversed facts still in use: a tenth of a worker's CPU time went there.
    """
    import gc

    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(WORKER_COLLECTION_THRESHOLD, older, oldest)


def _kill_me_with_parent() -> bool:
    import signal

    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, name="modellint-parent-watch", daemon=True).start()


def stop_workers(pool) -> None:
    """Stop a ProcessPoolExecutor now: queued work is dropped and running workers are killed
    (waiting for them would finish the whole run first)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            continue
    for process in processes:
        try:
            process.join(timeout=5)
        except (OSError, ValueError, AssertionError):
            continue
    # The pool's manager thread sees the dead workers and closes its wake-up pipe; unless it has
    # finished first, the exit hook of concurrent.futures may write to that pipe as it closes
    # (a race in CPython before 3.12) and print a traceback on the way out.
    if manager is not None:
        manager.join(timeout=5)


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null after stdout failed (a broken pipe, a full disk), so the
    interpreter's final flush of what is still buffered does not fail again with a message."""
    stream = sys.stdout
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, descriptor)
        os.close(null)
    except OSError:
        pass
