"""Where a report goes while it is made: stdout, or the file ``--output-file`` names.

Text is written in blocks as the report is made, so the report is never held whole. A report
file is written beside its destination under a temporary name and renamed over it at the end:
an interrupted or failed run leaves the file that was there before (or none), never a part of
a report that reads as a whole one. A destination that renaming would change is written at the
end, as a report always was: a symlink (its target is written), a FIFO or a device
(``/dev/stdout``), a file with other hard links or that is not writable (the write fails, as it
should). Until then its text waits in a :class:`~modellint.reports.spill.Spill`, as stdout's
does while the progress line is on the terminal the report goes to.

A write that fails is said once, at the end (``cannot write the report to ...``), as it always
was: the lint goes on, and the exit code says the report is unreadable. A reader that stopped
reading (``| head``) is no error.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from modellint.reports.spill import Spill

# Text gathered before each write: fewer system calls than one per finding.
_BLOCK = 64 * 1024


class ReportOutput:
    """One report's destination. ``hold``: nothing is written before :meth:`finish` (stdout shares
    the terminal with the progress line); ``keep``: the UTF-8 text is kept too, for the cache to
    store beside the findings (:meth:`modellint.cache.warm.WarmRun.save`). Use as a context
    manager: leaving it on an exception removes the temporary file."""

    def __init__(self, output_file: Path | None, *, hold: bool = False, keep: bool = False) -> None:
        self.output_file = output_file
        self.kept: io.BytesIO | None = io.BytesIO() if keep else None
        self.problem: str | None = None  # why the report could not be written
        self.stopped = False  # nothing more is written: the reader is gone, or writing failed
        self.block: list[str] = []
        self.block_size = 0
        self.temporary: Path | None = None
        self.handle: IO[str] | None = None
        self.held: Spill | None = None
        if output_file is not None and _replaceable(output_file):
            self._open_temporary(output_file)
        elif output_file is not None or hold:
            from modellint.reports.spill import Spill

            self.held = Spill()

    def __enter__(self) -> ReportOutput:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is not None:
            self.discard()

    def write(self, text: str) -> None:
        if not text:
            return
        if self.kept is not None:
            self.kept.write(text.encode("utf-8", "surrogatepass"))
        if self.stopped:
            return
        self.block.append(text)
        self.block_size += len(text)
        if self.block_size >= _BLOCK:
            self._flush()

    def kept_text(self) -> bytes:
        """The UTF-8 text written, when kept (``keep``): without a copy of it (``BytesIO`` hands
        over its buffer), a store's JSON report being ten megabytes."""
        return b"" if self.kept is None else self.kept.getvalue()

    def finish(self) -> bool:
        """Write what is left; False when the report could not be written (said on stderr)."""
        try:
            return self._finish()
        except BaseException:  # interrupted while writing the end: no part of a report is left behind
            self.discard()
            raise

    def _finish(self) -> bool:
        self._flush()
        if self.held is not None:
            held, self.held = self.held, None
            try:
                self._flush_held(held)
            finally:
                held.close()
        if self.handle is not None and self.temporary is not None:
            handle, self.handle = self.handle, None
            try:
                handle.close()
                if self.problem is None:
                    os.replace(self.temporary, self.output_file)  # type: ignore[arg-type]
                    self.temporary = None
            except OSError as error:
                self._failed(error)
            self.discard()
        if self.problem is not None:
            print(f"modellint: error: cannot write the report to {self.problem}", file=sys.stderr)
            return False
        return True

    def discard(self) -> None:
        """Remove the temporary file (an interrupted run, a failed write): the destination keeps
        whatever it held before."""
        if self.handle is not None:
            try:
                self.handle.close()
            except OSError:
                pass
            self.handle = None
        if self.temporary is not None:
            try:
                os.unlink(self.temporary)
            except OSError:
                pass
            self.temporary = None
        if self.held is not None:
            self.held.close()

    def _open_temporary(self, output_file: Path) -> None:
        try:
            output_file.parent.mkdir(parents=True, exist_ok=True)
            try:
                mode = stat.S_IMODE(os.stat(output_file).st_mode)
            except FileNotFoundError:
                mode = None
            name = output_file.parent / f".{output_file.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
            # 0o666 less the umask, as open(..., "w") creates a file; an existing report's mode is kept.
            descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            self.temporary = name
            if mode is not None:
                os.chmod(descriptor, mode)
            self.handle = open(descriptor, "w", encoding="utf-8")
        except OSError as error:
            self._failed(error)

    def _flush(self) -> None:
        if not self.block:
            return
        text = "".join(self.block)
        self.block.clear()
        self.block_size = 0
        if self.held is not None:
            self.held.add(text)
        else:
            self._put(text)

    def _flush_held(self, held: Spill) -> None:
        if self.output_file is None:
            for text in held.pieces():
                if not self.stopped:
                    self._put(text)
            return
        if self.stopped:
            return
        try:
            self.output_file.parent.mkdir(parents=True, exist_ok=True)
            with open(self.output_file, "w", encoding="utf-8") as handle:
                for text in held.pieces():
                    handle.write(text)
        except OSError as error:
            self._failed(error)

    def _put(self, text: str) -> None:
        try:
            if self.handle is not None:
                self.handle.write(text)
                return
            if sys.stdout is None:  # started with stdout closed (`>&-`)
                import errno

                raise OSError(errno.EBADF, "stdout is closed")
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            # `modellint ... | head`: the reader stopped reading, as it meant to. Quiet as Ruff, but
            # the exit code still tells what the report said: findings never become exit 0.
            self.stopped = True
            _silence_stdout()
        except OSError as error:
            self._failed(error)

    def _failed(self, error: OSError) -> None:
        if self.problem is None:
            where = self.output_file or "stdout"
            self.problem = f"{where}: {error.strerror or error}"
        self.stopped = True
        _silence_stdout()  # as a failed write always did: the interpreter's last flush stays quiet


def _replaceable(output_file: Path) -> bool:
    """Whether renaming a new file over ``output_file`` writes it as opening it would: it does not
    exist, or it is a plain file of ours to write with no other name."""
    try:
        status = os.lstat(output_file)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and status.st_nlink == 1 and os.access(output_file, os.W_OK)


def _silence_stdout() -> None:
    from modellint.process import silence_stdout

    silence_stdout()
