"""A second process that scans code files before the reachability walk comes to them.

:func:`~modellint.analyzer.code.scans.reachable_scans` walks a code dir's imports one file at a
time, depth first, in an order and with a byte budget that decide which files count: that walk
stays in the main process and runs exactly as it runs alone. A forked helper guesses the order
the walk will read its files in from their import lines (:mod:`.import_outline`), scans them
from the last one back and sends each :class:`~modellint.analyzer.code.source_imports.ModuleScan`
as it makes it; the main walk takes a file's scan from there when it arrives at that file, and
tells the helper which files it is scanning itself, so that each side skips what the other has
taken: the two meet in the middle. A scan is a pure function of the file's bytes, so the answer
is the one the walk gives alone; the helper only changes who parsed a file.

On a vendored package (sympy: 88 files, 2 MiB parsed) parsing is most of a run: about half of it
moves to the other CPU (the guess is the walk's order there, file for file). The helper starts
only when a CPU is idle at that moment (:func:`cpu_to_spare`), and the walk never waits for a
file longer than scanning it itself would take. A small code dir never starts the helper (the
walk decides), and nothing here is imported before then: ``pickle`` and ``select`` stay out of
a one-model start-up.

The helper is ours, its input is not: it runs the same bounded scan the walk would have run,
and everything that can go wrong with it (it dies, hangs, sends what is not a scan of the file
announced) makes the walk scan the file itself. It is killed and reaped when the walk ends.
Results are our own records pickled by our own fork, read back through an unpickler that builds
nothing but modellint's records and paths.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import select
import signal
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path, PosixPath

from modellint.analyzer.code.source_imports import ModuleScan

# The longest the walk waits for a file the helper has started before scanning it itself (it
# waits no longer than its own scan of the file would take): a file is at most 512 KiB
# (MAX_SOURCE_BYTES), which parses in well under this on a loaded machine.
WAIT_SECONDS = 10.0
# Messages are a header, then `length` bytes. Helper -> walk: STARTED (no body), SCANNED (the
# pickled scan), FAILED (no body: the walk scans the file). Walk -> helper: TAKEN (`length` is
# the file's size, no body follows).
_HEADER = struct.Struct("<BII")  # kind, file index, length
_STARTED, _SCANNED, _FAILED, _TAKEN = 1, 2, 3, 4
_PIPE_BYTES = 1 << 20  # room for a few large scans, so the helper rarely waits on the walk


class HelperChannel:
    """The helper's side: what the walk has taken, and where scans go."""

    def __init__(self, requests: int, results: int) -> None:
        self._requests = requests
        self._results = results
        self._buffer = bytearray()
        self.taken: set[int] = set()

    def refresh(self) -> None:
        """Read the walk's TAKEN messages that have arrived, without waiting."""
        while True:
            try:
                chunk = os.read(self._requests, 65536)
            except BlockingIOError:
                break
            if not chunk:  # the walk is over
                raise _WalkGone
            self._buffer += chunk
        whole = len(self._buffer) - len(self._buffer) % _HEADER.size
        for kind, index, _ in _HEADER.iter_unpack(self._buffer[:whole]):
            if kind == _TAKEN:
                self.taken.add(index)
        del self._buffer[:whole]

    def started(self, index: int) -> None:
        _write_all(self._results, _HEADER.pack(_STARTED, index, 0))

    def scanned(self, index: int, scan: ModuleScan) -> None:
        message = pickle.dumps(scan, protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(self._results, _HEADER.pack(_SCANNED, index, len(message)) + message)

    def failed(self, index: int) -> None:
        _write_all(self._results, _HEADER.pack(_FAILED, index, 0))


class _WalkGone(Exception):
    """The walk closed its end: the helper's work is no longer wanted."""


class ScanAhead:
    """The helper process and what it has sent: ``walk(channel)`` is what it runs (it calls
    ``channel.started`` before scanning a file and ``channel.scanned`` after); :meth:`take`
    gives the walk a file's scan, or None when the walk must scan the file itself."""

    def __init__(self, walk: Callable[[HelperChannel], None], paths: list[Path]) -> None:
        self._paths = paths
        self._started: set[int] = set()
        self._done: dict[int, ModuleScan] = {}
        self._abandoned: set[int] = set()  # started, then scanned by the walk: its scan is not wanted
        self._buffer = bytearray()
        self._pid = 0
        requests_read, self._requests = os.pipe()
        self._results, results_write = os.pipe()
        for descriptor in (self._requests, results_write):
            _widen(descriptor)
        # Signals that arrive while forking are delivered after it, in the parent: the child
        # ignores SIGINT (the parent decides) and dies by default on SIGTERM.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        pid = -1
        try:
            pid = os.fork()
        except OSError:  # no fork (process or memory limits): the walk scans alone
            for descriptor in (self._requests, self._results):
                os.close(descriptor)
            raise
        finally:
            if pid != 0:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                os.close(requests_read)
                os.close(results_write)
        if pid == 0:
            os.close(self._requests)
            os.close(self._results)
            _serve(walk, requests_read, results_write, blocked)  # never returns
        self._pid = pid
        os.set_blocking(self._results, False)

    @property
    def alive(self) -> bool:
        return self._pid != 0

    def take(self, index: int, size: int, own_seconds: float = WAIT_SECONDS) -> ModuleScan | None:
        """The helper's scan of file ``index`` (``size`` bytes): at once when it is back, after a
        wait when the helper has started it. None when the helper has not started it or failed,
        or has not finished it within ``own_seconds`` (what scanning it here would take, never
        more than :data:`WAIT_SECONDS`): waiting longer than that cannot make the walk end
        sooner, and on a busy machine the helper may not get a CPU at all. The helper is told
        the walk scans the file; a scan of it that comes later is dropped."""
        self._receive(0)
        if index in self._started and index not in self._done:
            deadline = time.monotonic() + min(own_seconds, WAIT_SECONDS)
            while index in self._started and self.alive:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._started.discard(index)
                    self._abandoned.add(index)
                    break
                self._receive(left)
        found = self._done.pop(index, None)
        if found is None and self.alive:
            try:
                os.write(self._requests, _HEADER.pack(_TAKEN, index, size))
            except OSError:
                self._stop()
        return found

    def close(self) -> None:
        self._stop()
        for descriptor in (self._requests, self._results):
            try:
                os.close(descriptor)
            except OSError:
                pass

    def _receive(self, timeout: float) -> None:
        """Read what the helper sent, waiting up to ``timeout`` seconds for something."""
        if not self.alive:
            return
        try:
            ready, _, _ = select.select([self._results], [], [], timeout)
        except (OSError, ValueError):
            self._stop()
            return
        if not ready:
            return
        gone = False
        while True:
            try:
                chunk = os.read(self._results, _PIPE_BYTES)
            except BlockingIOError:
                break
            except OSError:
                gone = True
                break
            if not chunk:  # the helper is gone (its walk is over, or it died): keep what it sent first
                gone = True
                break
            self._buffer += chunk
        self._unpack()
        if gone:
            self._stop()

    def _unpack(self) -> None:
        while len(self._buffer) >= _HEADER.size:
            kind, index, length = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + length
            if len(self._buffer) < end:
                return
            message = bytes(self._buffer[_HEADER.size:end])
            del self._buffer[:end]
            if not self._accept(kind, index, message):
                self._stop()
                return

    def _accept(self, kind: int, index: int, message: bytes) -> bool:
        """Take one message in; False for one no helper of ours sends."""
        if index >= len(self._paths) or index in self._done:
            return False
        if index in self._abandoned and kind in (_SCANNED, _FAILED):
            self._abandoned.discard(index)
            return True
        if kind == _STARTED:
            self._started.add(index)
            return not message
        if index not in self._started:
            return False
        self._started.discard(index)
        if kind == _FAILED:
            return not message
        scan = _load(message) if kind == _SCANNED else None
        if scan is None or scan.path != self._paths[index]:
            return False
        self._done[index] = scan
        return True

    def _stop(self) -> None:
        """Kill and reap the helper; what it was scanning the walk scans instead."""
        if self._pid:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(self._pid, 0)
            except OSError:
                pass
            self._pid = 0
        self._started.clear()


def _widen(descriptor: int) -> None:
    import fcntl

    try:
        fcntl.fcntl(descriptor, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except OSError:
        pass  # the default 64 KiB works, with more waiting


def _serve(walk: Callable[[HelperChannel], None], requests: int, results: int,
           blocked: set[int | signal.Signals]) -> None:
    """The helper's life: run ``walk``, then exit. Never returns: ``os._exit`` skips the
    parent's atexit hooks and the flush of the stdout buffer it inherited."""
    code = 1
    try:
        # The collector would walk every object inherited from the parent (copying the pages it
        # writes to) to find cycles that parse trees and scans do not make; the helper lives
        # for one walk.
        gc.disable()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.set_blocking(requests, False)
        walk(HelperChannel(requests, results))
        code = 0
    except BaseException:  # noqa: BLE001, S110 - the walk absorbs a helper's failure; never a traceback
        pass
    finally:
        os._exit(code)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


class _RecordsOnly(pickle.Unpickler):
    """Builds modellint's records, paths and plain values; anything else is refused."""

    def find_class(self, module: str, name: str) -> object:
        if module == "pathlib" and name == "PosixPath":
            return PosixPath
        if module.startswith("modellint."):
            found = getattr(sys.modules.get(module), name, None)
            if isinstance(found, type):
                from modellint.record import Record

                if issubclass(found, Record):
                    return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a scan's")


def _load(message: bytes) -> ModuleScan | None:
    # A scan is thousands of records, none in a cycle: with the collector on, the allocations
    # set off collections that walk the whole walk's heap (the trick the walk plays for a parse).
    collecting = gc.isenabled()
    gc.disable()
    try:
        scan = _RecordsOnly(io.BytesIO(message)).load()
    except Exception:  # noqa: BLE001 - anything unreadable is garbage: the walk scans the file itself
        return None
    finally:
        if collecting:
            gc.enable()
    return scan if isinstance(scan, ModuleScan) else None
