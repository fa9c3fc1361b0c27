"""Running fixes on targets: one model dir at a time, under its lock, pass after pass until stable.

``--fix`` and ``--diff`` run the same passes and differ only in the last step of each. ``--fix``
writes a pass to disk; ``--diff`` keeps what the pass would write in a :class:`FileView` that the
analyzer's reads consult, so that its next pass sees what ``--fix``'s would, and prints the whole
difference at the end. So the diff is what ``--fix`` with the same flags writes, all passes
included.

A pass lints the target while holding an advisory lock on its directory (two ``--fix`` runs on
one model dir take turns), pins the text of every file it reads (the rules, the fix builders and
the planner see one version of each file), and writes a file only when its bytes on disk are still
the ones pinned; a file that changed anyway waits for the next pass, which reads it again. Files
that one fix edits together (requirements.txt and the conda ``pip:`` list) are verified together
and replaced together, or restored. A fix never writes outside its target's directory, through a
symlink that leaves it, through a dangling symlink, or over a read-only file; it says so instead.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer import files
from modellint.analyzer.files import ReadProblem, lies_below, read_disk_text
from modellint.engine import Report, TargetFailure, display_path, forget_file_lines, lint_target
from modellint.findings import Finding
from modellint.fixes.edits import AppliedFix, FixPlan, applicable, plan_fixes, unified_diff
from modellint.record import Record
from modellint.targets import Target

if TYPE_CHECKING:
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings

# A fix can uncover another (a duplicate line removed, then a pin added); a few passes settle it.
MAX_PASSES = 5
_BOM = b"\xef\xbb\xbf"
_LOCK_TIMEOUT = 120.0  # seconds to wait for another modellint fixing the same model dir


class FixInterrupted(BaseException):
    """A signal arrived while fixes were being written (raised so that cleanup runs)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class FileView:
    """The files of one target as the fixes of a pass see them (``modellint.analyzer.files.view``).

    Reads below the target are pinned: a file read twice in a pass gives the same text, however
    it changes on disk meanwhile. ``--diff`` adds the texts its passes would have written.
    Reads outside the target go to the disk untouched.
    """

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self.pinned: dict[str, tuple[str | None, ReadProblem | None]] = {}
        self.written: dict[str, str] = {}  # real path -> text after the fixes so far (--diff)

    def _key(self, path: Path) -> str | None:
        real = os.path.realpath(path)
        return real if lies_below(self.root, real) else None

    def read_text(self, path: Path, root: Path | None = None) -> tuple[str | None, ReadProblem | None]:
        key = self._key(path)
        if key is None:
            return read_disk_text(path, root)
        if key in self.written:
            return self.written[key], None
        if key not in self.pinned:
            self.pinned[key] = read_disk_text(path, root)
        return self.pinned[key]

    def created(self, path: Path) -> bool:
        """Whether ``path`` is a file --diff's earlier passes created."""
        return bool(self.written) and self._key(path) in self.written

    def next_pass(self) -> None:
        self.pinned.clear()


class FixRun(Record):
    """What the passes did: the report after them, the fixes taken, each changed file's first and
    last text (``--diff`` prints them), and the fixes that could not be written."""

    __slots__ = ("report", "fixes", "changes", "errors")

    def __init__(self, report: Report, fixes: list[AppliedFix] | None = None,
                 changes: dict[Path, tuple[str | None, str]] | None = None,
                 errors: list[TargetFailure] | None = None) -> None:
        self.report = report
        self.fixes = [] if fixes is None else fixes
        self.changes = {} if changes is None else changes
        self.errors = [] if errors is None else errors  # fixes that could not be written, as run failures


class _Progress:
    """What the passes have done so far, filled in target by target (a builder: the run's
    :class:`FixRun` is made from it at the end)."""

    __slots__ = ("fixes", "changes", "errors")

    def __init__(self) -> None:
        self.fixes: list[AppliedFix] = []
        self.changes: dict[Path, tuple[str | None, str]] = {}
        self.errors: list[TargetFailure] = []


def run_fixes(report: Report, rules: list, selection, *, unsafe: bool, write: bool, base: Path,
              settings: EnvironmentSettings | None = None) -> FixRun:
    """Fix every target of ``report`` that has an applicable fix; ``write=False`` writes nothing.
    ``settings`` are the settings the report was linted with (see :func:`modellint.engine.lint_target`)."""
    roots = {target.path: target for target in report.targets if target.kind in ("model", "project")}
    owners: dict[Path, Target] = {}
    for finding in report.findings:
        if applicable(finding, unsafe=unsafe):
            owner = _owner(finding.path, roots)
            if owner is not None:
                owners.setdefault(owner.path, owner)
    if not owners:
        return FixRun(report)
    progress = _Progress()
    findings = [finding for finding in report.findings if _owned_path(finding.path, roots) not in owners]
    failures = [failure for failure in report.failures if failure.target.path not in owners]
    for target in sorted(owners.values(), key=lambda target: str(target.path)):
        fixed, failure = _fix_target(target, rules, selection, progress, unsafe=unsafe, write=write, base=base,
                                      settings=settings)
        findings.extend(fixed)
        if failure is not None:
            failures.append(failure)
    seen = set()
    for error in progress.errors:
        if error.message not in seen:  # a refused fix is planned again by every pass
            seen.add(error.message)
            failures.append(error)
    findings.sort(key=lambda finding: finding.sort_key)
    fixed_report = Report(report.targets, findings, failures, report.projects_without_checks)
    return FixRun(fixed_report, progress.fixes, progress.changes, progress.errors)


def _owner(path: Path, roots: dict[Path, Target]) -> Target | None:
    """The deepest target whose directory holds ``path``."""
    for directory in (path, *path.parents):
        if directory in roots:
            return roots[directory]
    return None


def _owned_path(path: Path, roots: dict[Path, Target]) -> Path | None:
    owner = _owner(path, roots)
    return owner.path if owner else None


def _fix_target(target: Target, rules, selection, progress: _Progress, *, unsafe: bool, write: bool,
                base: Path, settings: EnvironmentSettings | None) -> tuple[list[Finding], TargetFailure | None]:
    """Lint, plan and apply until nothing more applies; the findings left and any failure."""
    view = FileView(target.path)
    files.view = view
    try:
        with _locked(target.path, exclusive=write) as problem:
            if problem:
                progress.errors.append(TargetFailure(target, f"{problem}: not fixed"))
                return lint_target(target, rules, selection, base, settings)
            for _ in range(MAX_PASSES):
                findings, failure = _lint(target, rules, selection, base, settings)
                if failure is not None:
                    return findings, failure
                plan = plan_fixes(findings, unsafe=unsafe)
                progress.errors.extend(TargetFailure(target, message) for message in plan.errors)
                stale: set[Path] = set()
                taken = _take(target, plan, view, progress, stale, write=write, base=base)
                if not taken and not stale:
                    return findings, None
                if write:
                    view.next_pass()
            for path in sorted(stale):
                progress.errors.append(TargetFailure(target, "changed by something else every time it was about to be "
                                                        "fixed: not fixed", path))
            return _lint(target, rules, selection, base, settings)
    finally:
        files.view = None


def _lint(target: Target, rules, selection, base: Path,
          settings: EnvironmentSettings | None) -> tuple[list[Finding], TargetFailure | None]:
    forget_file_lines()  # suppression comments: the lines moved
    return lint_target(target, rules, selection, base, settings)


def _take(target: Target, plan: FixPlan, view: FileView, progress: _Progress, stale: set[Path], *, write: bool,
          base: Path) -> int:
    """Apply ``plan`` (to disk, or to the view for --diff), a group of files edited together at a
    time; the number of fixes taken. Files that changed on disk since they were read go to ``stale``."""
    taken = 0
    for group, fixes in _groups(plan):
        refused = [(path, reason) for path in group if (reason := refusal(path, view.root))]
        if refused:
            for path, reason in refused:
                progress.errors.append(TargetFailure(target, f"cannot write the fix: {reason}", path))
            continue
        changes = [(path, *plan.files[path]) for path in group]
        if len({os.path.realpath(path) for path in group}) < len(group):
            continue  # two names of one file (a symlink beside its target): one at a time
        if write:
            written = None
            try:
                with _Signals() as signals:
                    signals.check()
                    written = write_together(changes, checkpoint=signals.check)
            except OSError as error:  # the group was rolled back
                failed = Path(error.filename) if error.filename else group[0]
                progress.errors.append(TargetFailure(target, f"cannot write the fix: {error.strerror or error}", failed))
                continue
            if written is None:
                continue  # a signal whose handler lets the run go on: the group was rolled back
            if not written:
                stale.update(group)  # changed on disk since it was read: the next pass reads it again
                continue
        else:
            for path, old, new in changes:
                view.written[os.path.realpath(path)] = new
        for path, old, new in changes:
            first = progress.changes.get(path, (old, new))[0]
            progress.changes[path] = (first, new)
        progress.fixes.extend(fixes)
        taken += len(fixes)
    return taken


def _groups(plan: FixPlan) -> Iterator[tuple[list[Path], list[AppliedFix]]]:
    """The plan's changed files, joined when one fix edits several of them, with their fixes."""
    group_of: dict[Path, int] = {}
    groups: list[set[Path]] = []
    for fix in plan.fixes:
        paths = {path for path in fix.paths if path in plan.files}
        joined = {group_of[path] for path in paths if path in group_of}
        merged = set(paths).union(*(groups[index] for index in joined))
        for index in joined:
            groups[index] = set()
        groups.append(merged)
        for path in merged:
            group_of[path] = len(groups) - 1
    for index, group in enumerate(groups):
        if group:
            yield sorted(group), [fix for fix in plan.fixes if set(fix.paths) & group]
    for path in sorted(set(plan.files) - set(group_of)):
        yield [path], []


def refusal(path: Path, root: str | None) -> str | None:
    """Why a fix may not write ``path`` (below the real directory ``root``), or None."""
    real = os.path.realpath(path)
    if root is not None and not lies_below(root, real):
        return "it leads outside the model directory (through a symlink or `..`)"
    try:
        info = os.stat(real)
    except FileNotFoundError:
        if os.path.lexists(path) or os.path.lexists(real):
            return "it is a dangling symlink"
        parent = os.path.dirname(real)
        if not os.path.isdir(parent):
            return "its folder does not exist"
        if not os.access(parent, os.W_OK):
            return "its folder is read-only"
        return None
    except OSError as error:
        return f"it cannot be checked ({error.strerror or error})"
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file"
    if not os.access(os.path.dirname(real), os.W_OK):
        return "its folder is read-only"
    # The atomic rename needs only the folder's permission: without this check a read-only file
    # (or, for root, one whose owner took its write bit away) would be replaced silently.
    writable_bits = info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    owner_cannot_write = info.st_uid == _euid() and not info.st_mode & stat.S_IWUSR
    if not os.access(real, os.W_OK) or not writable_bits or owner_cannot_write:
        return "the file is read-only"
    return None


def _no_checkpoint() -> None:
    pass


class _Prepared:
    """One file of a :func:`write_together` transaction. Not a value: ``temp`` is the temporary
    still to clean up, cleared once it has replaced the file."""

    __slots__ = ("path", "real", "temp", "before", "mode")

    def __init__(self, path: Path, real: str, temp: str | None, before: bytes | None, mode: int) -> None:
        self.path = path
        self.real = real
        self.temp = temp
        self.before = before  # the bytes the file holds now (None: the fix creates it)
        self.mode = mode


def write_together(changes: Iterable[tuple[Path, str | None, str]], checkpoint=_no_checkpoint) -> bool:
    """Replace each ``(path, old, new)`` file's text ``old`` with ``new``, all or none.

    Every file is written to a temporary beside it first (fsync'd, with the file's mode and BOM);
    then each file's bytes are read again and must still decode to ``old`` (absent when ``old``
    is None), or nothing is replaced and False is returned; then all are replaced. If a replace
    fails or ``checkpoint`` raises (a signal came, see :class:`_Signals`), the files already
    replaced get their bytes back and the temporaries are removed before the exception goes on.
    """
    prepared: list[_Prepared] = []
    replaced: list[_Prepared] = []
    try:
        for path, old, new in changes:
            real = os.path.realpath(path)
            before = _current_bytes(real)
            if _decoded(before) != old:
                return False
            mode = stat.S_IMODE(os.stat(real).st_mode) if before is not None else 0o666 & ~_umask()
            data = (_BOM if before is not None and before.startswith(_BOM) else b"") + new.encode("utf-8")
            item = _Prepared(path, real, None, before, mode)
            prepared.append(item)
            item.temp = _temporary(real, data, mode)
            checkpoint()
        for item in prepared:  # verified again right before any replace
            if _current_bytes(item.real) != item.before:
                return False
        for item in prepared:
            checkpoint()
            assert item.temp is not None  # every prepared file got its temporary in the first loop
            os.replace(item.temp, item.real)
            item.temp = None
            replaced.append(item)
        return True
    except BaseException:
        for item in reversed(replaced):
            _restore(item)
        raise
    finally:
        for item in prepared:
            if item.temp is not None:
                _unlink(item.temp)


class FixResult(Record):
    """What one :func:`apply_fixes` pass wrote: the fixes applied (their count and each one), how
    many landed in each file, and why any file could not be written."""

    __slots__ = ("applied", "files", "fixes", "errors")

    def __init__(self, applied: int = 0, files: dict[Path, int] | None = None, fixes: list[AppliedFix] | None = None,
                 errors: list[str] | None = None) -> None:
        self.applied = applied
        self.files = {} if files is None else files  # path -> fixes applied to it
        self.fixes = [] if fixes is None else fixes
        self.errors = [] if errors is None else errors


def apply_fixes(findings: Iterable[Finding], *, unsafe: bool = False) -> FixResult:
    """Plan one pass of fixes and write it (see :func:`write_together`); return what was
    written. The command line runs passes (:func:`run_fixes`); tests and tools use this."""
    plan = plan_fixes(findings, unsafe=unsafe)
    errors = list(plan.errors)
    written: set[Path] = set()
    for path, (old, new) in plan.files.items():
        reason = refusal(path, None)
        if reason is not None:
            errors.append(f"{path}: cannot write the fix: {reason}")
        elif write_together([(path, old, new)]):
            written.add(path)
        else:
            errors.append(f"{path}: changed while it was being fixed")
    fixes: list[AppliedFix] = []
    files: dict[Path, int] = {}
    for fix in plan.fixes:
        if written & set(fix.paths):
            fixes.append(fix)
            for path in written & set(fix.paths):
                files[path] = files.get(path, 0) + 1
    return FixResult(len(fixes), files, fixes, errors)


def _current_bytes(real: str) -> bytes | None:
    """The file's bytes now; a FIFO or device swapped in since :func:`refusal` looked is refused
    (``NotRegularFile``, an OSError: the group is rolled back and reported), never waited on."""
    try:
        with files.open_regular(real) as handle:
            return handle.read(files.MAX_TEXT_BYTES + 1)
    except FileNotFoundError:
        return None


def _decoded(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "\x00"  # never a text a fix was planned on


def _temporary(real: str, data: bytes, mode: int) -> str:
    import tempfile  # --fix only

    directory, name = os.path.split(real)
    descriptor, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".modellint")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
    except BaseException:
        _unlink(temp)
        raise
    return temp


def _restore(item: _Prepared) -> None:
    """Undo one replace of an interrupted group: the old bytes back, or the created file gone."""
    try:
        if item.before is None:
            _unlink(item.real)
            return
        temp = _temporary(item.real, item.before, item.mode)
        os.replace(temp, item.real)
    except OSError as error:
        print(f"modellint: error: {item.path}: could not be restored after a failed fix: {error.strerror or error}",
              file=sys.stderr)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1  # Windows: no owner to compare


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class _Signals:
    """SIGTERM, SIGINT and SIGHUP, held while fixes are written.

    A signal is noted, and :meth:`check` raises :class:`FixInterrupted` at the writer's next
    checkpoint (after a temporary is written, before each replace), so the writer's cleanup runs
    and is itself never cut short. On leaving, a signal that came is delivered again to the
    handler it found: the process dies of it as it would have, or KeyboardInterrupt (exit 130).
    """

    _NAMES = ("SIGTERM", "SIGINT", "SIGHUP")

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict = {}

    def __enter__(self) -> _Signals:
        import signal

        for name in self._NAMES:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                if signal.getsignal(signum) is signal.SIG_IGN:
                    continue  # nohup: ignored before, ignored now
                self._previous[signum] = signal.signal(signum, self._note)
            except ValueError:  # not the main thread: no handlers, as before
                break
        return self

    def _note(self, signum, frame) -> None:
        if self.received is None:
            self.received = signum

    def check(self) -> None:
        if self.received is not None:
            raise FixInterrupted(self.received)

    def __exit__(self, kind, error, trace) -> bool:
        import signal

        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if self.received is not None:
            signal.raise_signal(self.received)  # dies here, or raises KeyboardInterrupt
        return isinstance(error, FixInterrupted)  # a signal whose handler lets the run go on


@contextmanager
def _locked(directory: Path, *, exclusive: bool) -> Iterator[str | None]:
    """An advisory lock on ``directory`` itself (no lock file left in the user's folder); yields
    None, or why the lock could not be had. Where flock is missing or unsupported (Windows, some
    network file systems) the fix goes on unlocked, as before locks existed."""
    try:
        import fcntl
    except ImportError:
        yield None
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield None
        return
    try:
        import time

        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + _LOCK_TIMEOUT
        delay = 0.001
        problem = None
        while True:
            try:
                fcntl.flock(descriptor, mode)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    problem = f"another modellint held its lock for {_LOCK_TIMEOUT:.0f} s"
                    break
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
            except OSError:
                break  # flock not supported here
        yield problem
    finally:
        os.close(descriptor)  # releases the lock


# --------------------------------------------------------------------------- the command line


def fix_and_report(report: Report, selection, *, unsafe: bool, show: bool, base: Path,
                   settings: EnvironmentSettings | None = None) -> Report:
    """``--fix``: apply fixes until stable, say what was fixed on stderr, return the report after."""
    run = run_fixes(report, selection.enabled_rules(), selection, unsafe=unsafe, write=True, base=base,
                    settings=settings)
    applied = run.fixes
    if applied:
        changed = {path for fix in applied for path in fix.paths}
        total = len(applied)
        files_word = "file" if len(changed) == 1 else "files"
        print(f"Fixed {total} finding{'s' if total != 1 else ''} in {len(changed)} {files_word}.", file=sys.stderr)
        if show:
            for fix in applied:
                shown = ", ".join(display_path(path, base) for path in fix.paths)
                print(f"  {shown}: {fix.code} {fix.title}", file=sys.stderr)
    findings = run.report.findings
    hidden = 0 if unsafe else sum(1 for finding in findings if finding.fix and not finding.fixable)
    if hidden:
        print(f"{hidden} more fix{'es' if hidden != 1 else ''} available with `--unsafe-fixes`.", file=sys.stderr)
    return run.report


def print_diff(report: Report, selection, *, unsafe: bool, base: Path,
               settings: EnvironmentSettings | None = None,
               aliases: tuple[tuple[Path, str], ...] = ()) -> tuple[Report, bool]:
    """``--diff``: what ``--fix`` would write, every pass included, as a unified diff on stdout;
    nothing is written. Returns the report (with fixes that could not be written as failures)
    and whether there was a diff. ``aliases`` show a model fetched by URI under its URI."""
    run = run_fixes(report, selection.enabled_rules(), selection, unsafe=unsafe, write=False, base=base,
                    settings=settings)
    changes = {path: (old, new) for path, (old, new) in run.changes.items() if old != new}
    diff = unified_diff(FixPlan(changes), lambda path: display_path(path, base, aliases))
    sys.stdout.write(diff)
    count = len(run.fixes)
    if count:
        print(f"Would fix {count} finding{'s' if count != 1 else ''}.", file=sys.stderr)
    return run.report, bool(diff)
