"""Runs the rules over targets: discover, check, filter, sort. Nothing here prints."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.files import forget_real_roots, read_text
from modellint.findings import Finding
from modellint.record import Record
from modellint.rules import ENTRIES_BY_CODE, Rule
from modellint.rules._base import SerializedFileRule, own_findings
from modellint.selection import RuleSelection, names
from modellint.targets import Target, display_path

if TYPE_CHECKING:
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings
    from modellint.analyzer.model_dir import ModelDir
    from modellint.cache.store import TargetCache
    from modellint.cache.warm import WarmRun

_SUPPRESSION = re.compile(r"#\s*modellint:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)
# Below this many targets the cost of starting worker processes exceeds the work itself.
_PARALLEL_THRESHOLD = 48


class TargetFailure(Record):
    """Why (part of) one target was not checked or not fixed; the run goes on without it.

    ``path`` is what the message is about (the target itself unless a file of it is named), and
    the message never repeats it: every printer shows ``path: message``.
    """

    __slots__ = ("target", "message", "path")

    def __init__(self, target: Target, message: str, path: Path | None = None) -> None:
        self.target = target
        self.message = message
        self.path = target.path if path is None else path


class Report(Record):
    __slots__ = ("targets", "findings", "failures", "projects_without_checks", "aliases")

    def __init__(self, targets: list[Target] | None = None, findings: list[Finding] | None = None,
                 failures: list[TargetFailure] | None = None,
                 projects_without_checks: list[Target] | None = None,
                 aliases: tuple[tuple[Path, str], ...] = ()) -> None:
        self.targets = [] if targets is None else targets
        self.findings = [] if findings is None else findings
        self.failures = [] if failures is None else failures
        # No save/log call found in these projects.
        self.projects_without_checks = [] if projects_without_checks is None else projects_without_checks
        # Local folders shown as something else: a model fetched by URI, as its URI.
        self.aliases = aliases

    def shown(self, path: Path, base: Path) -> str:
        """``path`` as every report shows it: relative to ``base``, a fetched model's as its URI."""
        return display_path(path, base, self.aliases)


def lint_target(target: Target, rules: list[type[Rule]], selection: RuleSelection, base: Path,
                settings: EnvironmentSettings | None = None) -> tuple[list[Finding], TargetFailure | None]:
    """Lint one target; an exception inside becomes a :class:`TargetFailure`. ``settings`` are the
    known-first-party / module-distributions settings, passed along explicitly (workers too)."""
    findings, failure, _ = _lint_target(target, rules, selection, base, settings)
    return findings, failure


def _lint_target(target: Target, rules: list[type[Rule]], selection: RuleSelection, base: Path,
                 settings: EnvironmentSettings | None = None,
                 cache: TargetCache | None = None) -> tuple[list[Finding], TargetFailure | None, bool]:
    """:func:`lint_target`, and whether the target is a training project without a save/log call
    (found in the same pass that lints it, so that the report can say so without a second search)."""
    forget_real_roots()  # each target's root is resolved afresh, then once for all its files
    try:
        if target.kind == "project":
            findings, saves_models = _project_findings(target, rules, settings, cache)
            return _filter(findings, selection, base), None, not saves_models
        return _filter(_cached_findings(target, rules, settings, cache), selection, base), None, False
    except Exception as error:  # noqa: BLE001 - one broken target must not stop the run
        import traceback  # only after a crash: 3 ms of start-up otherwise

        location = traceback.extract_tb(error.__traceback__)[-1]
        detail = f"{type(error).__name__}: {error} (at {Path(location.filename).name}:{location.lineno})"
        return [], TargetFailure(target, f"internal error: {detail}"), False


def _project_findings(target: Target, rules: list[type[Rule]], settings: EnvironmentSettings | None,
                      cache: TargetCache | None) -> tuple[list[Finding], bool]:
    """A training project's findings no comment suppresses, through ``cache`` like a model dir's,
    and whether it saves or logs a model. Only a project that does, and whose findings depend on
    its tree alone, is stored: a hit says it saves one."""
    from modellint.project_mode import check_project

    saves_models = [True]

    def lint() -> tuple[list[Finding], bool]:
        checked = check_project(target.path, rules, settings)
        saves_models[0] = checked.saves_models
        return _unsuppressed(checked.findings), checked.saves_models and checked.self_contained

    return _cached_findings(target, rules, settings, cache, lint), saves_models[0]


def _cached_findings(target: Target, rules: list[type[Rule]], settings: EnvironmentSettings | None,
                     cache: TargetCache | None,
                     lint: Callable[[], tuple[list[Finding], bool]] | None = None) -> list[Finding]:
    """:func:`_target_findings` (or ``lint``'s findings, with whether they may be stored), read
    from ``cache`` when it holds the target's content, and written there (with the names and
    states :func:`_unchanged_findings` looks up first) when the findings may be stored and the
    target did not change while it was linted."""
    from modellint.cache import worth_caching

    if lint is None:
        lint = lambda: (_target_findings(target, rules, settings), True)  # noqa: E731
    if cache is None or not worth_caching(target):
        return lint()[0]
    from modellint.cache.digest import listing_key, walk
    from modellint.cache.store import Listed

    # An unchanged tree was found by its states before (_unchanged_findings); a tree whose
    # states are new (touched, copied, or changed too recently to trust them) is found by its content.
    tree = walk(target, cache.run)
    if tree is None:
        return lint()[0]
    key = tree.content_key()
    if key is None:
        return lint()[0]
    found = cache.load(key, target.path)
    unstored = [] if found is not None else [key]
    storable = True
    if found is None:
        found, storable = lint()
    state_key = tree.state_key()
    listed = None if state_key is None else Listed(listing_key(target, cache.run), tree.names(), state_key)
    if storable and (unstored or listed) and tree.still_holds():
        cache.store(unstored, found, target.path, listed)
    return found


def _hit(target: Target, cache: TargetCache) -> list[Finding] | None:
    """:func:`_unchanged_findings`, a miss if it fails: the lint that follows reports the failure
    as the target's, as for a target read in a worker."""
    try:
        return _unchanged_findings(target, cache)
    except Exception:  # noqa: BLE001 - one broken target must not stop the run
        return None


def _unchanged_findings(target: Target, cache: TargetCache) -> list[Finding] | None:
    """The findings ``cache`` holds for ``target`` when none of its entries changed since they
    were stored: the names of its last walk are each ``lstat``-ed, and their states are those the
    findings were stored with (:func:`modellint.cache.digest.restated`). No folder is listed and
    no file read; None otherwise, and the target is linted (or found by its content) as
    :func:`_cached_findings` does."""
    from modellint.cache import worth_caching

    if not worth_caching(target):
        return None
    from modellint.cache.digest import listing_key, restated

    document = cache.read(listing_key(target, cache.run))
    if document is None:
        return None
    state = restated(target, cache.run, document.get("names"))
    if state is None or state != document.get("state"):
        return None
    return cache.findings(document, target.path)


def _target_findings(target: Target, rules: list[type[Rule]], settings: EnvironmentSettings | None) -> list[Finding]:
    """The findings of a model dir or a lone serialized file that no comment suppresses, before
    the selection's ignores and severities."""
    if target.kind == "file":
        return _unsuppressed(_check_standalone_file(target.path, rules))
    if target.kind != "model":
        return []
    from modellint.analyzer.model_dir import ModelDir

    model = ModelDir(target.path, settings=settings, withheld=dict(target.withheld))
    return _unsuppressed(finding.replace(root=model.root) for finding in _check_model(model, rules))


def _check_model(model: ModelDir, rules: list[type[Rule]]) -> Iterable[Finding]:
    usable = model.mlmodel is not None
    for rule in rules:
        if not usable and ENTRIES_BY_CODE[rule.code].requires_mlmodel:
            continue
        yield from own_findings(rule, rule().check(model))


def _check_standalone_file(path: Path, rules: list[type[Rule]]) -> Iterable[Finding]:
    """A serialized file on its own: only the rules that need no MLmodel or environment (ML302-ML304)."""
    from modellint.analyzer.serialized.inventory import StandaloneFile

    serialized = StandaloneFile(path)
    for rule in rules:
        if ENTRIES_BY_CODE[rule.code].standalone_file and issubclass(rule, SerializedFileRule):
            yield from own_findings(rule, rule().check(serialized))


def _filter(findings: list[Finding], selection: RuleSelection, base: Path) -> list[Finding]:
    """The findings not ignored, at the severity the chosen deployment targets give them."""
    by_path = bool(selection.per_path_ignores)
    kept = []
    for finding in findings:
        if by_path and finding.code in selection.ignored_for(display_path(finding.path, base)):
            continue
        severity = selection.severity_for(finding.code, finding.severity)
        kept.append(finding if severity == finding.severity else finding.replace(severity=severity))
    return kept


def _unsuppressed(findings: Iterable[Finding]) -> list[Finding]:
    """The findings no ``# modellint: ignore`` comment silences: a fact of the files' text, which
    the cache key holds, so the cache keeps findings after this step."""
    return [finding for finding in findings if not _suppressed_inline(finding)]


def _suppressed_inline(finding: Finding) -> bool:
    if not ENTRIES_BY_CODE[finding.code].inline_suppression:  # the rule's own word (RULE_TABLE)
        return False
    line = _suppression_lines(finding.path, finding.root).get(finding.span.line)
    match = _SUPPRESSION.search(line) if line is not None else None
    if not match:
        return False
    if match.group(1) is None:
        return True
    return any(names(code, finding.code) for code in match.group(1).split(","))


@lru_cache(maxsize=256)
def _suppression_lines(path: Path, root: Path | None) -> dict[int, str]:
    """The lines of ``path`` holding a suppression comment, by 1-based number: only those are
    kept (a vendored package's findings had the lines of 221 files held, 2.5 MB)."""
    if path.name.endswith(".ipynb"):  # a training notebook: its findings are on lines of its code cells
        from modellint.analyzer.code.notebooks import NotebookError, read_notebook

        try:
            text: str | None = read_notebook(path, root).text
        except NotebookError:
            return {}
    else:
        text, _ = read_text(path, root)
    if not text or not _SUPPRESSION.search(text):
        return {}
    return {number: line for number, line in enumerate(text.splitlines(), 1) if _SUPPRESSION.search(line)}


def forget_file_lines() -> None:
    """Drop the lines read for inline suppressions: a fix pass has moved them."""
    _suppression_lines.cache_clear()


def lint_targets(
    targets: list[Target],
    rules: list[type[Rule]] | Callable[[], list[type[Rule]]],
    selection: RuleSelection,
    *,
    base: Path,
    jobs: int | None = 1,
    on_progress: Callable[[int], None] | None = None,
    settings: EnvironmentSettings | None = None,
    cache: TargetCache | None = None,
    warm: WarmRun | None = None,
) -> Report:
    """Lint ``targets``, in ``jobs`` worker processes when there are many (None: one per CPU
    available; never more than them, see :func:`modellint.process.worker_count`); model dirs and
    lone files through ``cache`` when given (:mod:`modellint.cache`), the pack of ``warm`` (made
    for ``targets``) first. ``rules`` may be a function giving them, called only when a target is
    linted: a run the cache answers whole imports no rule."""
    found: list[Finding] = []
    failures: list[TargetFailure] = []
    without_checks: list[Target] = []
    results = lint_results(targets, rules, selection, base=base, jobs=jobs, on_progress=on_progress,
                           settings=settings, cache=cache, warm=warm)
    for target, (findings, failure, saves_no_model) in zip(targets, results):
        found.extend(findings)
        if failure:
            failures.append(failure)
        elif saves_no_model and not findings:
            without_checks.append(target)
    found.sort(key=lambda finding: finding.sort_key)
    return Report(list(targets), found, failures, without_checks)


def lint_results(
    targets: list[Target],
    rules: list[type[Rule]] | Callable[[], list[type[Rule]]],
    selection: RuleSelection,
    *,
    base: Path,
    jobs: int | None = 1,
    on_progress: Callable[[int], None] | None = None,
    settings: EnvironmentSettings | None = None,
    cache: TargetCache | None = None,
    warm: WarmRun | None = None,
) -> Iterator[tuple[list[Finding], TargetFailure | None, bool]]:
    """What :func:`lint_targets` makes its report of, one target at a time in the order of
    ``targets``: the target's findings (unsorted), why it could not be checked, and whether it is
    a training project without a save/log call. A report written as it is made reads these."""
    if cache is None:
        return _run(targets, _rule_classes(rules), selection, base, jobs, on_progress, settings)
    return _run_cached(targets, rules, selection, base, jobs, on_progress, settings, cache, warm)


def _run_cached(targets, rules, selection, base, jobs, on_progress, settings, cache, warm):
    """:func:`_run` through ``cache``: the targets it holds unchanged (in ``warm``'s pack, else in
    their own entries) are read here, in this process, and only the others are linted (in worker
    processes when they are many), so a warm run starts no worker and sends no finding from one
    process to another."""
    hits = ([_hit(target, cache) for target in targets] if warm is None
            else [_from_pack(warm, index) for index in range(len(targets))])
    if on_progress and any(found is not None for found in hits):
        on_progress(sum(found is not None for found in hits))
    misses = [target for target, found in zip(targets, hits) if found is None]
    linted = _run(misses, _rule_classes(rules), selection, base, jobs, on_progress, settings, cache) if misses else iter(())
    for found in hits:
        if found is None:
            yield next(linted)
        else:  # a stored training project is one that saves a model: it has checks
            yield _filter(found, selection, base), None, False


def _from_pack(warm: WarmRun, index: int) -> list[Finding] | None:
    """:meth:`WarmRun.findings`, a miss if it fails (the lint that follows reports the failure)."""
    try:
        return warm.findings(index)
    except Exception:  # noqa: BLE001 - a broken entry is a miss; the target's lint follows
        return None


def _rule_classes(rules: list[type[Rule]] | Callable[[], list[type[Rule]]]) -> list[type[Rule]]:
    return rules if isinstance(rules, list) else rules()


def _run(targets, rules, selection, base, jobs, on_progress, settings=None, cache=None):
    from modellint.process import worker_count

    jobs = worker_count(jobs)
    if jobs <= 1 or len(targets) < _PARALLEL_THRESHOLD:
        for target in targets:
            yield _lint_target(target, rules, selection, base, settings, cache)
            if on_progress:
                on_progress(1)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from modellint.process import init_worker, signals_blocked, stop_workers, terminate_on_sigterm

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    chunk = max(1, min(64, len(targets) // (jobs * 8)))
    batches = [targets[start:start + chunk] for start in range(0, len(targets), chunk)]
    with terminate_on_sigterm():
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=init_worker,
                                   initargs=(os.getpid(),))
        finished = False
        try:
            with signals_blocked():  # the workers are forked while submitting
                # The settings travel with each batch (pickled): a spawned worker has no globals of ours.
                results = pool.map(_lint_batch, [(batch, rules, selection, base, settings, cache) for batch in batches])
            for batch_results in results:
                for result in batch_results:
                    yield result
                if on_progress:
                    on_progress(len(batch_results))
            finished = True
        finally:
            # Ctrl-C, SIGTERM (process.Terminated), a consumer that stopped early: the workers go
            # now, without finishing the queue first.
            if finished:
                pool.shutdown(wait=True)
            else:
                stop_workers(pool)


def _lint_batch(arguments) -> list[tuple[list[Finding], TargetFailure | None, bool]]:
    batch, rules, selection, base, settings, cache = arguments
    return [_lint_target(target, rules, selection, base, settings, cache) for target in batch]
