"""Command line: argument parsing, output routing and exit codes, nothing else.

Exit codes (a contract, as in Ruff): 0 nothing at or above ``--fail-on``; 1 findings; 2 usage
error, invalid configuration, or an internal error in some target (the others are reported).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from modellint import __version__
from modellint.config import (
    ConfigError,
    Settings,
    apply_config,
    find_config,
    known_first_party,
    load_config_file,
    module_distributions,
)
from modellint.findings import Severity
from modellint.reports import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_COMMANDS = {"check", "hook", "rule", "rules"}


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, measuring the terminal with ``os`` rather than ``shutil``.

    argparse makes a formatter for every argument it registers, and ``shutil`` brings in
    ``bz2`` and ``lzma``: 3 ms of every run, for help that is seldom printed.
    """

    def __init__(self, prog: str, **kwargs: Any) -> None:
        kwargs.setdefault("width", _terminal_columns() - 2)  # argparse's own margin
        super().__init__(prog, **kwargs)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: $COLUMNS, else the terminal's width, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modellint",
        formatter_class=_HelpFormatter,
        description="Lint MLflow model directories: will they install, load and predict in a fresh environment?",
    )
    parser.add_argument("--version", action="store_true", help="print the version and the knowledge base date")
    commands = parser.add_subparsers(dest="command")

    check = commands.add_parser("check", formatter_class=_HelpFormatter,
                                help="lint model dirs, folders of them, or training projects (default)")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    hook = commands.add_parser("hook", formatter_class=_HelpFormatter,
                               help="pre-commit: check the model dirs and training projects the changed FILEs belong to")
    hook.add_argument("paths", nargs="*", type=Path, default=[], metavar="FILE")
    for command in (check, hook):
        command.add_argument("--select", type=_csv, help="rules to enable: codes, prefixes, names or ALL (comma-separated)")
        command.add_argument("--extend-select", type=_csv, help="rules to enable on top of the selection")
        command.add_argument("--ignore", type=_csv, help="rules to disable")
        command.add_argument("--fail-on", choices=["error", "warning", "info"], help="lowest severity that fails the run (default: warning)")
        command.add_argument("--exit-zero", action="store_true", default=None, help="exit 0 even when findings remain")
        command.add_argument("--format", "--output-format", dest="format", choices=FORMATS,
                             help="output format (default: full on a terminal, concise otherwise; env MODELLINT_OUTPUT_FORMAT)")
        command.add_argument("--output-file", type=Path, help="write the report to this file instead of stdout")
        command.add_argument("--statistics", action="store_true", default=None, help="print the count of findings per rule")
        command.add_argument("--fix", action="store_true", default=None,
                             help="apply safe fixes (atomic writes, comments and order kept), then report what remains")
        command.add_argument("--unsafe-fixes", action="store_true", default=None, help="with --fix or --diff, also apply unsafe fixes")
        command.add_argument("--diff", action="store_true",
                             help="print the fixes as a unified diff instead of writing them (exit 1 when there is a diff)")
        command.add_argument("--show-fixes", action="store_true", default=None, help="with --fix, list every fix applied")
        command.add_argument("--jobs", "-j", type=int, help="worker processes for many model dirs (default: CPU count)")
        command.add_argument("--python", type=Path, help="also consult this interpreter's installed packages (explicit only)")
        command.add_argument("--known-first-party", type=_csv, metavar="MODULES",
                             help="modules the deployment provides itself, never reported missing (comma-separated; "
                                  "replaces the config's list)")
        command.add_argument("--module-distribution", action="append", metavar="MODULE=DIST",
                             help="MODULE is provided by distribution DIST (repeatable; over the config's table)")
        command.add_argument("--config", type=Path, help="use this config file instead of discovering one")
        command.add_argument("--isolated", action="store_true", help="ignore all configuration files")
        command.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    rule = commands.add_parser("rule", formatter_class=_HelpFormatter, help="print the documentation of one rule")
    rule.add_argument("selector", help="a code (ML103) or name (defaults-channel)")
    commands.add_parser("rules", formatter_class=_HelpFormatter, help="list every rule")
    return parser


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not any(arg in _COMMANDS for arg in args_list[:1]) and "--version" not in args_list and not {"-h", "--help"} & set(args_list[:1]):
        args_list.insert(0, "check")
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return EXIT_ERROR if exit_.code not in (0, None) else EXIT_CLEAN
    if args.version:
        print(_version_text())
        return EXIT_CLEAN
    try:
        if args.command == "rule":
            return _print_rule(args.selector)
        if args.command == "rules":
            return _print_rules()
        if args.command == "hook":
            return _hook(args)
        return _check(args)
    except (ConfigError, ValueError) as error:
        print(f"modellint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `modellint ... | head`
        return EXIT_CLEAN
    except KeyboardInterrupt:
        return 130


def _hook(args: argparse.Namespace) -> int:
    """``hook FILE...``: ``check`` on what the changed files belong to; nothing to lint is a pass."""
    from modellint.integrations.precommit import hook_paths

    args.paths = hook_paths(args.paths, Path.cwd())
    return _check(args) if args.paths else EXIT_CLEAN


def _version_text() -> str:
    from modellint.analyzer.knowledge import build_date

    return f"modellint {__version__} (knowledge base built {build_date()})"


def _print_rule(selector: str) -> int:
    from modellint.rules import RULES_BY_CODE, RULES_BY_NAME

    rule = RULES_BY_CODE.get(selector.upper()) or RULES_BY_NAME.get(selector.lower())
    if rule is None:
        print(f"modellint: error: unknown rule `{selector}`", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.documentation())
    return EXIT_CLEAN


def _print_rules() -> int:
    from modellint.rules import ALL_RULES
    from modellint.rules._base import FixAvailability

    width = max(len(rule.name) for rule in ALL_RULES)
    for rule in ALL_RULES:
        fix = "   " if rule.fix_availability is FixAvailability.NONE else "[*]"
        sys.stdout.write(f"{rule.code} {fix} {rule.name:<{width}}  {str(rule.severity):<7}  {rule.summary()}\n")
    return EXIT_CLEAN


def resolve_settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if not args.isolated:
        if args.config:
            apply_config(settings, load_config_file(args.config), args.config)
        else:
            found = find_config(Path(args.paths[0]).absolute() if args.paths else Path.cwd())
            if found:
                apply_config(settings, found[1], found[0])
    if args.select is not None:
        settings.select = args.select
    if args.extend_select is not None:
        settings.extend_select = [*settings.extend_select, *args.extend_select]
    if args.ignore is not None:
        settings.ignore = [*settings.ignore, *args.ignore]
    if args.fail_on is not None:
        settings.fail_on = Severity.parse(args.fail_on)
    for name in ("exit_zero", "statistics", "fix", "unsafe_fixes", "show_fixes", "output_file", "jobs", "python", "format"):
        value = getattr(args, name)
        if value is not None:
            setattr(settings, name, value)
    if args.known_first_party is not None:
        settings.known_first_party = known_first_party(args.known_first_party, "--known-first-party")
    for pair in args.module_distribution or ():
        module, equals, distribution = pair.partition("=")
        if not equals:
            raise ConfigError(f"--module-distribution: expected MODULE=DISTRIBUTION, got `{pair}`")
        settings.module_distributions = {**settings.module_distributions,
                                         **module_distributions({module.strip(): distribution.strip()},
                                                                "--module-distribution")}
    if settings.format is None:
        settings.format = os.environ.get("MODELLINT_OUTPUT_FORMAT") or None
    if settings.format is not None and settings.format not in FORMATS:
        raise ConfigError(f"unknown output format `{settings.format}` (expected one of {', '.join(FORMATS)})")
    if settings.jobs is not None and settings.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    return settings


def _check(args: argparse.Namespace) -> int:
    from modellint.engine import lint_targets
    from modellint.reports import ReportContext
    from modellint.selection import RuleSelection
    from modellint.targets import TargetError, discover

    settings = resolve_settings(args)
    _use_interpreter(settings.python)
    selection = RuleSelection(settings.select, settings.extend_select, settings.ignore, settings.per_path_ignores)
    selection.validate()
    try:
        targets = discover([Path(os.path.abspath(path)) for path in args.paths])
    except TargetError as error:
        print(f"modellint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    to_terminal = settings.output_file is None and sys.stdout.isatty()
    output_format = settings.format or ("full" if to_terminal else "concise")
    jobs = settings.jobs or os.cpu_count() or 1
    with _progress(len(targets), enabled=to_terminal and not args.no_progress and output_format in ("full", "concise")) as advance:
        lone_files = all(target.kind == "file" for target in targets)
        report = lint_targets(targets, selection.enabled_rules(standalone_files_only=lone_files), selection,
                              base=Path.cwd(), jobs=jobs, on_progress=advance, imports=settings.import_settings())
    if args.diff:
        return _print_diff(report, unsafe=settings.unsafe_fixes)
    if settings.fix:
        report = _fix_until_stable(report, targets, selection, jobs, unsafe=settings.unsafe_fixes,
                                   show=settings.show_fixes, imports=settings.import_settings())
    findings = report.findings
    context = ReportContext(base=Path.cwd(), version=__version__, targets=len(report.targets),
                            color=to_terminal and "NO_COLOR" not in os.environ)
    text = _render(output_format, findings, context)
    if settings.statistics and output_format in ("full", "concise"):
        text = _statistics(findings)
    _write(text, settings.output_file)
    for failure in report.failures:
        print(f"modellint: error: {failure.message}", file=sys.stderr)
    for project in report.projects_without_checks:
        print(f"modellint: {project.path}: training project without an mlflow save_model/log_model call: nothing to check",
              file=sys.stderr)
    if report.failures:
        return EXIT_ERROR
    if settings.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if any(finding.severity >= settings.fail_on for finding in findings) else EXIT_CLEAN


def _use_interpreter(python: Path | None) -> None:
    """``--python``: lay that interpreter's installed distributions (names, modules, versions)
    over the knowledge base. It is asked in a subprocess; nothing of it is imported here.
    Without the option the shipped knowledge alone is used, even after an earlier run in this
    process had one."""
    if python is None:
        knowledge = sys.modules.get("modellint.analyzer.knowledge")
        if knowledge is not None:  # not imported yet: nothing to reset, and no cost to a lone pickle
            knowledge.use_overlay(None)
        return
    from modellint.analyzer.files import exists, is_dir
    from modellint.analyzer.knowledge import OverlayError, from_interpreter, use_overlay

    if is_dir(python):  # a virtualenv's folder
        python = next((candidate for candidate in (python / "bin" / "python", python / "Scripts" / "python.exe")
                       if exists(candidate)), python)
    try:
        use_overlay(from_interpreter(python))
    except OverlayError as error:
        raise ConfigError(f"--python: {error}") from None


# A fix can uncover another (a duplicate line removed, then a pin added); a few passes settle it.
_MAX_FIX_PASSES = 5


def _fix_until_stable(report, targets, selection, jobs: int, *, unsafe: bool, show: bool, imports=None):
    """Apply fixes and lint again until nothing more applies; report the fixes on stderr."""
    from modellint.engine import display_path, lint_targets
    from modellint.fix import apply_fixes

    applied = []
    for _ in range(_MAX_FIX_PASSES):
        result = apply_fixes(report.findings, unsafe=unsafe)
        for error in result.errors:
            print(f"modellint: error: {error}", file=sys.stderr)
        if not result.applied:
            break
        applied.extend(result.fixes)
        report = lint_targets(targets, selection.enabled_rules(), selection, base=Path.cwd(), jobs=jobs,
                              imports=imports)
    if applied:
        files = {path for fix in applied for path in fix.paths}
        total = len(applied)
        print(f"Fixed {total} finding{'s' if total != 1 else ''} in {len(files)} file{'s' if len(files) != 1 else ''}.",
              file=sys.stderr)
        if show:
            for fix in applied:
                shown = ", ".join(display_path(path, Path.cwd()) for path in fix.paths)
                print(f"  {shown}: {fix.code} {fix.title}", file=sys.stderr)
    hidden = 0 if unsafe else sum(1 for finding in report.findings if finding.fix and not finding.fixable)
    if hidden:
        print(f"{hidden} more fix{'es' if hidden != 1 else ''} available with `--unsafe-fixes`.", file=sys.stderr)
    return report


def _print_diff(report, *, unsafe: bool) -> int:
    """``--diff``: one pass of fixes as a unified diff on stdout; nothing is written."""
    from modellint.engine import display_path
    from modellint.fix import plan_fixes, unified_diff

    plan = plan_fixes(report.findings, unsafe=unsafe)
    for error in plan.errors:
        print(f"modellint: error: {error}", file=sys.stderr)
    diff = unified_diff(plan, lambda path: display_path(path, Path.cwd()))
    sys.stdout.write(diff)
    count = len(plan.fixes)
    if count:
        print(f"Would fix {count} finding{'s' if count != 1 else ''}.", file=sys.stderr)
    for failure in report.failures:
        print(f"modellint: error: {failure.message}", file=sys.stderr)
    if report.failures:
        return EXIT_ERROR
    return EXIT_FINDINGS if diff else EXIT_CLEAN


def _render(output_format: str, findings, context) -> str:
    from importlib import import_module

    return import_module(f"modellint.reports.{output_format}").render(findings, context)


def _statistics(findings) -> str:
    from modellint.rules import RULES_BY_CODE

    counts = Counter(finding.code for finding in findings)
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = RULES_BY_CODE[code]
        fixable = "[*]" if any(finding.fixable for finding in findings if finding.code == code) else "[ ]"
        lines.append(f"{count}\t{code}\t{fixable} {rule.name}")
    from modellint.reports import summary_line

    lines.append(summary_line(findings))
    return "\n".join(lines) + "\n"


def _write(text: str, output_file: Path | None) -> None:
    if output_file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    output_file.parent.mkdir(parents=True, exist_ok=True)
    output_file.write_text(text, encoding="utf-8")


class _progress:
    """A rich progress bar that appears only when linting takes longer than a second."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total, self.enabled = total, enabled and total > 1
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        import time

        started = time.monotonic()
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if self._bar is None and time.monotonic() - started > 1.0:
                from rich.progress import Progress

                self._bar = Progress(transient=True, console=None)
                self._bar.start()
                self._task = self._bar.add_task("Linting model dirs", total=self.total)
            if self._bar is not None:
                self._bar.update(self._task, completed=done)

        return advance

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
