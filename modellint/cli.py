"""Command line: argument parsing, output routing and exit codes, nothing else.

Exit codes (a contract, as in Ruff): 0 nothing at or above ``--fail-on``; 1 findings; 2 usage
error, invalid configuration, or an internal error in some target (the others are reported).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modellint import __version__
from modellint.config import (
    ConfigError,
    Settings,
    apply_config,
    build_platform,
    find_config,
    known_first_party,
    load_config_file,
    module_distributions,
    python_version,
)
from modellint.findings import Severity
from modellint.reports import FORMATS, printable

if TYPE_CHECKING:
    from modellint.cache.warm import WarmRun
    from modellint.report_output import ReportOutput
    from modellint.report_stream import Written

# The deployment targets (modellint.rules._targets.TARGETS, which tests/test_cli.py holds this to): named
# here so that building the parser imports no rule module.
DEPLOY_TARGETS = ("mlflow-serve", "azureml-online", "azureml-batch", "databricks")
DEFAULT_TARGET = DEPLOY_TARGETS[0]
# The platforms an environment may be built for (serving_platform.PLATFORMS, which
# tests/analyzer/test_build_platform.py holds this to), named here for the same reason.
BUILD_PLATFORMS = ("linux/x86_64", "linux/aarch64", "linux-musl/x86_64", "linux-musl/aarch64", "macos/x86_64",
                   "macos/arm64", "windows/x86_64")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM, as shells report them
# What a failed write of stdout raises (errno is built into the interpreter: no import cost).
_OUTPUT_ERRNOS = {errno.EIO, errno.EBADF, errno.EFBIG, errno.ENOSPC, getattr(errno, "EDQUOT", 122)}
_COMMANDS = {"check", "explain-import", "hook", "registry", "request", "rule", "rules", "webhook"}


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
    if sys.__stdout__ is None:  # started without a console (pythonw)
        return 80
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _parser(wanted: str | None = None) -> argparse.ArgumentParser:
    """The parser; the ``registry`` and ``webhook`` commands' options are registered only when it
    is the command ``wanted``: every other run would pay for them."""
    parser = argparse.ArgumentParser(
        prog="modellint",
        formatter_class=_HelpFormatter,
        description="Lint MLflow model directories: will they install, load and predict in a fresh environment?",
    )
    parser.add_argument("--version", action="store_true", help="print the version and the knowledge base date")
    commands = parser.add_subparsers(dest="command")

    check = commands.add_parser("check", formatter_class=_HelpFormatter,
                                help="lint model dirs, folders of them, or training projects (default)")
    # Strings, not Paths: a URI (`mlflow-artifacts://host/x`) must keep its double slash.
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                       help="a model dir, a folder of them, a training project, a serialized file, or a model URI "
                            "(models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/PATH, an artifact store URI)")
    check.add_argument("--tracking-uri", metavar="URI",
                       help="the MLflow tracking server model URIs are resolved with (default: MLFLOW_TRACKING_URI, "
                            "then MLflow's own default)")
    check.add_argument("--max-download", default=None, metavar="SIZE",
                       help="bytes fetched for model URIs at most, all together (default 4G); files over it are "
                            "reported as not checked")
    check.add_argument("--resolve", action="store_true",
                       help="also hand the requirements to uv's resolver for the target Python and platform (needs "
                            "modellint[resolve] and the network or a mirror; nothing is installed or built): ML508")
    hook = commands.add_parser("hook", formatter_class=_HelpFormatter,
                               help="pre-commit: check the model dirs and training projects the changed FILEs belong to")
    hook.add_argument("paths", nargs="*", type=Path, default=[], metavar="FILE")
    registry = commands.add_parser("registry", formatter_class=_HelpFormatter,
                                   help="lint every version of an MLflow model registry (or those matching), one report")
    # No abbreviations: `--secret VALUE` must not pass for `--secret-env` (and show the secret in `ps`).
    webhook = commands.add_parser("webhook", formatter_class=_HelpFormatter, allow_abbrev=False,
                                  help="serve MLflow's registry webhooks: lint and tag each new model version")
    own = {"registry": registry, "webhook": webhook}.get(wanted or "")
    if own is registry:
        _registry_options(registry)
    elif own is webhook:
        _webhook_options(webhook)
    for command in (check, hook) if own is None else (check, hook, own):
        command.add_argument("--select", type=_csv,
                             help="rules to enable: codes, prefixes, names or ALL (comma-separated; ALL is the built-in "
                                  "rules, a plugin's are enabled by naming them)")
        command.add_argument("--extend-select", type=_csv, help="rules to enable on top of the selection")
        command.add_argument("--ignore", type=_csv, help="rules to disable")
        command.add_argument("--target", action="append", choices=DEPLOY_TARGETS, metavar="TARGET",
                             help=f"where the model is deployed: {', '.join(DEPLOY_TARGETS)} (repeatable; "
                                  "default mlflow-serve): enables the target's own rules and raises the severities it needs")
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
        command.add_argument("--jobs", "-j", type=int,
                             help="worker processes for many model dirs (default and maximum: the CPUs available); "
                                  "for `registry`, also the download threads")
        command.add_argument("--python", type=Path, help="also consult this interpreter's installed packages (explicit only)")
        command.add_argument("--known-first-party", type=_csv, metavar="MODULES",
                             help="modules the deployment provides itself, never reported missing (comma-separated; "
                                  "replaces the config's list)")
        command.add_argument("--module-distribution", action="append", metavar="MODULE=DIST",
                             help="MODULE is provided by distribution DIST (repeatable; over the config's table)")
        command.add_argument("--python-version", metavar="X.Y[.Z]",
                             help="the Python the environment is built with, for the installability checks "
                                  "(default: the model's declared Python)")
        command.add_argument("--platform", choices=BUILD_PLATFORMS, metavar="PLATFORM",
                             help=f"where the environment is built: {', '.join(BUILD_PLATFORMS)} "
                                  "(default: linux/x86_64, as MLflow's serving images, Azure ML and Databricks)")
        command.add_argument("--config", type=Path,
                             help="use this config file instead of discovering one from the working directory upward")
        command.add_argument("--isolated", action="store_true", help="ignore all configuration files")
        command.add_argument("--exclude", type=_csv, metavar="GLOBS",
                             help="folders and files to skip when searching folders (gitignore syntax; replaces the defaults)")
        command.add_argument("--extend-exclude", type=_csv, metavar="GLOBS", help="more globs to skip, on top of --exclude")
        command.add_argument("--respect-gitignore", action=argparse.BooleanOptionalAction, default=None,
                             help="skip what .gitignore files ignore when searching folders (default: on)")
        command.add_argument("--follow-symlinks", action="store_true", default=None,
                             help="follow directory symlinks when searching folders (default: off)")
        command.add_argument("--no-progress", action="store_true",
                             help="never show the progress line (on stderr when it is a terminal, once a run takes "
                                  "over a second)")
    for command in (check, hook):  # a fetched model is never cached: its folder is new each run
        command.add_argument("--no-cache", action="store_true",
                             help="lint every model dir again rather than read unchanged ones' findings from the cache "
                                  "(env MODELLINT_NO_CACHE=1)")
        command.add_argument("--cache-dir", type=Path, metavar="DIR",
                             help="where the cache is (default: env MODELLINT_CACHE_DIR, else ~/.cache/modellint)")

    request = commands.add_parser("request", formatter_class=_HelpFormatter,
                                  help="write a sample scoring request for a deployment target, checked against the signature")
    request.add_argument("path", type=Path, metavar="MODEL_DIR")
    request.add_argument("--target", choices=[name for name in DEPLOY_TARGETS if name != "azureml-batch"],
                         default=DEFAULT_TARGET, help="the target whose request format to write (default: mlflow-serve)")
    request.add_argument("--output-file", type=Path, help="write the request to this file instead of stdout")

    rule = commands.add_parser("rule", formatter_class=_HelpFormatter, help="print the documentation of one rule")
    rule.add_argument("selector", help="a code (ML103) or name (defaults-channel)")
    commands.add_parser("rules", formatter_class=_HelpFormatter, help="list every rule")
    explain = commands.add_parser("explain-import", formatter_class=_HelpFormatter,
                                  help="which distributions provide an import name, and how modellint knows")
    explain.add_argument("name", help="an import name (cv2, google.cloud.storage)")
    explain.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    return parser


def _registry_options(parser: argparse.ArgumentParser) -> None:
    """``registry``'s own options; it takes the lint options of ``check`` too."""
    parser.add_argument("--tracking-uri", metavar="URI", help="the MLflow tracking server (default: MLFLOW_TRACKING_URI)")
    parser.add_argument("--name", default="*", metavar="GLOB", help="registered models whose name matches (default: all)")
    parser.add_argument("--alias", help="only the version each model's ALIAS points at")
    parser.add_argument("--stage", help="only versions in this stage (Staging, Production, Archived, None)")
    parser.add_argument("--set-tags", action="store_true",
                        help="write the verdict on each version as modellint.* tags, skipping versions already tagged "
                             "by this modellint and knowledge base")
    parser.add_argument("--force", action="store_true", help="with --set-tags, lint and tag the versions already tagged too")
    parser.add_argument("--max-download", default=None, metavar="SIZE",
                        help="bytes fetched per version at most (default 4G); files over it are reported as not checked")
    parser.set_defaults(paths=[])


def _webhook_options(parser: argparse.ArgumentParser) -> None:
    """``webhook``'s own options; it takes the lint options of ``check`` too (they judge each version)."""
    parser.add_argument("--tracking-uri", metavar="URI", help="the MLflow tracking server (default: MLFLOW_TRACKING_URI)")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="the port to listen on (default: 8765; 0: any free one)")
    parser.add_argument("--secret-env", default="MODELLINT_WEBHOOK_SECRET", metavar="NAME",
                        help="the environment variable holding the webhook's secret (default: MODELLINT_WEBHOOK_SECRET)")
    parser.add_argument("--max-queue", type=int, default=100, metavar="N",
                        help="versions waiting to be linted at most; a delivery over it is answered 503 (default: 100)")
    parser.add_argument("--max-download", default=None, metavar="SIZE",
                        help="bytes fetched per version at most (default 4G); files over it are reported as not checked")
    parser.set_defaults(paths=[])


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not any(arg in _COMMANDS for arg in args_list[:1]) and "--version" not in args_list and not {"-h", "--help"} & set(args_list[:1]):
        args_list.insert(0, "check")
    parser = _parser(args_list[0] if args_list else None)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return EXIT_ERROR if exit_.code not in (0, None) else EXIT_CLEAN
    if args.version:
        print(_version_text())
        return EXIT_CLEAN
    try:
        os.getcwd()  # paths are shown, and configuration found, from the working directory
    except OSError as error:
        print(f"modellint: error: the working directory: {error.strerror}", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.command == "rule":
            return _print_rule(args.selector)
        if args.command == "rules":
            return _print_rules()
        if args.command == "explain-import":
            from modellint.explain_import import run

            return run(args.name, args.format)
        if args.command == "request":
            return _request(args)
        if args.command == "hook":
            return _hook(args)
        if args.command == "registry":
            if args.fix and not args.diff:  # before anything is fetched, as for a URI target
                return _refuse_remote_fix()
            from modellint.remote.registry import lint_registry

            return lint_registry(args, _check_paths)
        if args.command == "webhook":
            from modellint.remote.webhook import serve

            return serve(args, _check_paths, resolve_settings)
        return _check(args)
    except (ConfigError, ValueError) as error:
        print(f"modellint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `modellint rules | head`
        _silence_stdout()
        return EXIT_CLEAN
    except OSError as error:  # `rules` or `--diff` to a full disk, a working directory deleted...
        where = error.filename or ("stdout" if error.errno in _OUTPUT_ERRNOS else None)
        _say(f"modellint: error: {f'{where}: ' if where else ''}{error.strerror or error}")
        _silence_stdout()
        return EXIT_ERROR
    except Exception as error:
        from modellint.rules._plugins import PluginError  # raised only where it was imported first

        if not isinstance(error, PluginError):
            raise
        # It quotes the plugin's metadata and whatever its import raised: not modellint's text.
        print(f"modellint: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("modellint: interrupted")
        return EXIT_INTERRUPTED
    except BaseException as error:
        from modellint.process import Terminated  # raised only where it was imported first

        if not isinstance(error, Terminated):
            raise
        _say("modellint: terminated")
        return EXIT_TERMINATED


def _silence_stdout() -> None:
    from modellint.process import silence_stdout

    silence_stdout()


def _say(message: str) -> None:
    """A last line on stderr, which may itself be gone."""
    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _hook(args: argparse.Namespace) -> int:
    """``hook FILE...``: ``check`` on what the changed files belong to; nothing to lint is a pass."""
    from modellint.integrations.precommit import hook_paths

    args.paths = hook_paths(args.paths, Path.cwd())
    return _check(args) if args.paths else EXIT_CLEAN


def _request(args: argparse.Namespace) -> int:
    from modellint.request_writer import RequestError, write_request

    try:
        write_request(args.path, args.target, args.output_file)
    except RequestError as error:
        print(f"modellint: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_CLEAN


def _version_text() -> str:
    import datetime

    from modellint.analyzer.knowledge.snapshots import described

    return f"modellint {__version__} ({described(datetime.date.today())})"


def _print_rule(selector: str) -> int:
    from modellint.rules import rule_class
    from modellint.selection import named_rule

    entry = named_rule(selector)
    if entry is None:
        print(f"modellint: error: unknown rule `{selector}`", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule_class(entry.code).documentation())
    if entry.plugin is not None:
        sys.stdout.write(f"\nFrom the {printable(str(entry.plugin))}.\n")
    return EXIT_CLEAN


def _print_rules() -> int:
    """Every rule: the built-in ones, then the installed plugins'."""
    from modellint.rules import ALL_RULES, FixAvailability, plugin_rules

    rules = (*ALL_RULES, *plugin_rules())
    width = max(len(rule.name) for rule in rules)
    code_width = max(len(rule.code) for rule in rules)
    for rule in rules:
        fix = "   " if rule.fix_availability is FixAvailability.NONE else "[*]"
        sys.stdout.write(f"{rule.code:<{code_width}} {fix} {rule.name:<{width}}  {str(rule.severity):<7}  {rule.summary()}\n")
    return EXIT_CLEAN


def resolve_settings(args: argparse.Namespace) -> Settings:
    """The settings of a run: the command line over an explicit ``--config`` file or, failing
    that, over the config discovered from the working directory upward (see :mod:`modellint.config`
    for what a discovered file may not set and where none is taken from)."""
    settings = Settings()
    if not args.isolated:
        if args.config:
            settings, _ = apply_config(settings, load_config_file(args.config), args.config)
        else:
            passed_over: list[Path] = []
            found = find_config(Path.cwd(), _lone_file_folders(args.paths), passed_over)
            for path in passed_over:
                _warn(f"{path}: not used: a config file inside a model dir (or beside a checked file) "
                      "never configures the check")
            if found:
                settings, warnings = apply_config(settings, found[1], found[0], discovered=True)
                for warning in warnings:
                    _warn(warning)
    flags: dict[str, object] = {}  # the command line over the config file
    if args.select is not None:
        flags["select"] = args.select
    if args.extend_select is not None:
        flags["extend_select"] = [*settings.extend_select, *args.extend_select]
    if args.ignore is not None:
        flags["ignore"] = [*settings.ignore, *args.ignore]
    if args.target is not None:
        flags["target"] = args.target
    if args.fail_on is not None:
        flags["fail_on"] = Severity.parse(args.fail_on)
    for name in ("exit_zero", "statistics", "fix", "unsafe_fixes", "show_fixes", "output_file", "jobs", "python", "format"):
        value = getattr(args, name)
        if value is not None:
            flags[name] = value
    cwd = Path.cwd()
    for name in ("exclude", "extend_exclude"):
        globs = getattr(args, name)
        if globs is not None:
            from modellint.path_patterns import parse_all

            compiled = parse_all(globs, cwd)
            flags[name] = compiled if name == "exclude" else [*settings.extend_exclude, *compiled]
    if args.respect_gitignore is not None:
        flags["respect_gitignore"] = args.respect_gitignore
    if args.follow_symlinks is not None:
        flags["follow_symlinks"] = args.follow_symlinks
    if args.known_first_party is not None:
        flags["known_first_party"] = known_first_party(args.known_first_party, "--known-first-party")
    distributions = settings.module_distributions
    for pair in args.module_distribution or ():
        module, equals, distribution = pair.partition("=")
        if not equals:
            raise ConfigError(f"--module-distribution: expected MODULE=DISTRIBUTION, got `{pair}`")
        distributions = {**distributions,
                         **module_distributions({module.strip(): distribution.strip()}, "--module-distribution")}
        flags["module_distributions"] = distributions
    if args.python_version is not None:
        flags["python_version"] = python_version(args.python_version, "--python-version")
    if args.platform is not None:
        flags["platform"] = build_platform(args.platform, "--platform")
    if flags.get("format", settings.format) is None:
        flags["format"] = os.environ.get("MODELLINT_OUTPUT_FORMAT") or None
    settings = settings.replace(**flags)
    if settings.format is not None and settings.format not in FORMATS:
        raise ConfigError(f"unknown output format `{settings.format}` (expected one of {', '.join(FORMATS)})")
    if settings.format == "cyclonedx":  # before anything is linted: without the library there is no report
        from modellint.reports.cyclonedx import INSTALL_HINT, library_available

        if not library_available():
            raise ConfigError(INSTALL_HINT)
    if settings.jobs is not None and settings.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    return settings


def _lone_file_folders(paths: list[Path]) -> frozenset[Path]:
    """The folders of serialized files named on the command line: a downloaded pickle's folder
    may be the attacker's, so no config file is taken from it (a model dir is passed over anyway)."""
    folders = set()
    for path in paths:
        absolute = Path(os.path.abspath(path))
        if absolute.suffix not in (".py", ".ipynb") and os.path.lexists(absolute) and not os.path.isdir(absolute):
            folders.add(absolute.parent)
    return frozenset(folders)


def _warn(message: str) -> None:
    print(f"modellint: warning: {message}", file=sys.stderr)


def _discovery(settings: Settings):
    from modellint.targets import Discovery, default_exclude

    exclude = default_exclude() if settings.exclude is None else tuple(settings.exclude)
    return Discovery(exclude + tuple(settings.extend_exclude), settings.respect_gitignore, settings.follow_symlinks)


def _check(args: argparse.Namespace) -> int:
    """``check``: a model named by URI is fetched into a private folder that lives as long as the run."""
    from modellint.remote import is_model_uri

    uris = list(dict.fromkeys(path for path in args.paths if args.command == "check" and is_model_uri(str(path))))
    if not uris:
        return _check_paths(args)
    if args.fix and not args.diff:  # before anything is fetched; `fix = true` in a config file is caught below
        return _refuse_remote_fix()
    from modellint.remote.fetch import DEFAULT_MAX_BYTES, RemoteView, parse_size

    budget = DEFAULT_MAX_BYTES if args.max_download is None else parse_size(args.max_download)
    with RemoteView(uris, args.tracking_uri, budget) as view:
        args.paths = [path for path in args.paths if path not in uris]
        return _check_paths(args, view)


def _cache(args: argparse.Namespace, targets, entries, environment):  # -> TargetCache | None
    """The run's findings cache (:mod:`modellint.cache`) for the rules of ``entries``, unless
    --no-cache or MODELLINT_NO_CACHE, or no target is worth it (a small lone pickle: the cache's
    start-up would cost more)."""
    if args.no_cache or os.environ.get("MODELLINT_NO_CACHE", "").strip() not in ("", "0", "false"):
        return None
    from modellint.cache import worth_caching

    if not any(worth_caching(target) for target in targets):
        return None
    from modellint.cache.fingerprint import run_fingerprint
    from modellint.cache.store import TargetCache, default_directory

    return TargetCache(args.cache_dir or default_directory(), run_fingerprint(entries, environment), os.urandom(16).hex())


def _refuse_remote_fix() -> int:
    print("modellint: error: --fix cannot change a model in a tracking server or artifact store: "
          "use --diff to see the fixes, then log the fixed model again", file=sys.stderr)
    return EXIT_ERROR


def _check_paths(args: argparse.Namespace, remote=None, on_report=None) -> int:
    """Lint, report, and the exit code; ``on_report(report, settings)`` sees the report once it is
    printed and returns whether it failed (``registry --set-tags`` writes its tags there)."""
    from modellint.engine import TargetFailure, lint_targets
    from modellint.reports import ReportContext, UncheckedTarget, printable
    from modellint.selection import RuleSelection
    from modellint.targets import Target, discover_all, is_excluded

    settings = resolve_settings(args)
    if remote is not None and settings.fix and not args.diff:
        return _refuse_remote_fix()
    _use_interpreter(settings.python)
    selection = RuleSelection(settings.select, settings.extend_select, settings.ignore, settings.per_path_ignores,
                              settings.target or (DEFAULT_TARGET,))
    selection.validate()
    discovery = _discovery(settings)
    paths = [Path(os.path.abspath(path)) for path in args.paths]
    aliases = () if remote is None else remote.aliases
    if args.command == "hook":  # pre-commit names what changed: what the user excludes stays out
        paths = [path for path in paths if not is_excluded(path, discovery, Path.cwd())]
        if not paths:
            return EXIT_CLEAN
    targets, path_errors = discover_all(paths, discovery) if paths else ([], [])
    if remote is not None:
        targets, path_errors = [*targets, *remote.targets], [*path_errors, *remote.errors]
    # A path that could not be linted is a failure of the run, like a target that crashed.
    path_failures = [TargetFailure(Target("path", error.path), error.problem) for error in path_errors]
    if path_failures and not targets:  # nothing to check: no report, which could only read as clean
        _print_failures(path_failures, aliases)
        return EXIT_ERROR
    from modellint.progress import ProgressLine, is_terminal

    to_terminal = settings.output_file is None and is_terminal(sys.stdout)
    output_format = settings.format or ("full" if to_terminal else "concise")
    if output_format == "cyclonedx":
        from modellint.reports.cyclonedx import undescribable

        problem = undescribable(targets)
        if problem is not None:
            print(f"modellint: error: {problem}", file=sys.stderr)
            return EXIT_ERROR
    environment = settings.environment_settings()
    if getattr(args, "resolve", False):
        from modellint.resolve import ResolverMissing, find_uv

        try:
            environment = environment.replace(resolver=find_uv())
        except ResolverMissing as missing:
            print(f"modellint: error: {missing}", file=sys.stderr)
            return EXIT_ERROR

    showing = is_terminal(sys.stderr) and not args.no_progress
    with ProgressLine(len(targets), "linted", "targets", enabled=showing) as progress:
        lone_files = all(target.kind == "file" for target in targets)
        # Not for a fetched model (its temporary folder is new each run), nor with --python (the
        # interpreter's packages are an input the key does not hold) or --resolve (nor the index's).
        uncached = remote is not None or settings.python is not None or environment.resolver is not None
        cache = None if uncached else _cache(args, targets, selection.enabled_entries(standalone_files_only=lone_files),
                                             environment)
        warm = None
        if cache is not None:
            from modellint.cache import PACK_MIN_TARGETS

            if len(targets) >= PACK_MIN_TARGETS:
                from modellint.cache.warm import warm_run

                warm = warm_run(cache, targets)
        report_parts = None
        if warm is not None and not (remote or path_failures or args.diff or settings.fix or on_report):
            report_parts = _report_parts(args, settings, output_format, to_terminal)
        stored = None if report_parts is None or warm is None else warm.report(report_parts)
        # The rules' modules are imported only when a target is linted, not read from the cache.
        rules = lambda: selection.enabled_rules(standalone_files_only=lone_files)  # noqa: E731
        # A report is written as it is made unless a step between the lint and the report needs
        # every finding (fixes, a diff, the registry's tags) or the format describes the model (SBOM).
        streamed = stored is None and not (args.diff or settings.fix or on_report) and output_format != "cyclonedx"
        if streamed:
            from modellint.engine import lint_results
            from modellint.report_output import ReportOutput
            from modellint.report_stream import write_report
            from modellint.reports.by_format import writer

            output = ReportOutput(settings.output_file, hold=to_terminal and progress.enabled,
                                  keep=report_parts is not None)
            with output:
                context = ReportContext(base=Path.cwd(), version=__version__, targets=0,
                                        color=to_terminal and "NO_COLOR" not in os.environ,
                                        unsafe_fixes=bool(settings.unsafe_fixes), aliases=aliases)
                results = lint_results(targets, rules, selection, base=Path.cwd(), jobs=settings.jobs,
                                       on_progress=progress.advance, settings=environment, cache=cache, warm=warm)
                written = write_report(targets, results, writer(_shown_format(settings, output_format), context),
                                       output, path_failures)
        elif stored is None:
            report = lint_targets(targets, rules, selection, base=Path.cwd(), jobs=settings.jobs,
                                  on_progress=progress.advance, settings=environment, cache=cache, warm=warm)
    if stored is not None:  # every target unchanged, and this report made from their findings before
        return _exit_code(settings, stored.severity, _report_written(stored.text, settings))
    if streamed:
        return _streamed_end(written, output, settings, warm, report_parts, aliases)
    if path_failures:
        report = report.replace(failures=[*path_failures, *report.failures])
    if args.diff:
        from modellint.fix_runner import print_diff

        report, changed = print_diff(report, selection, unsafe=settings.unsafe_fixes, base=Path.cwd(), settings=environment,
                                     aliases=aliases)
        _print_failures(report.failures, aliases)
        return EXIT_ERROR if report.failures else EXIT_FINDINGS if changed else EXIT_CLEAN
    if settings.fix:
        from modellint.fix_runner import fix_and_report

        report = fix_and_report(report, selection, unsafe=settings.unsafe_fixes, show=settings.show_fixes,
                                base=Path.cwd(), settings=environment)
    findings = report.findings
    errors = [UncheckedTarget(failure.path, failure.message) for failure in report.failures]
    context = ReportContext(base=Path.cwd(), version=__version__, targets=len(report.targets),
                            color=to_terminal and "NO_COLOR" not in os.environ, errors=errors,
                            unsafe_fixes=bool(settings.unsafe_fixes),
                            nothing_to_check=len(report.projects_without_checks), aliases=aliases,
                            checked_targets=tuple(report.targets))
    from modellint.reports.by_format import render

    text = render(_shown_format(settings, output_format), findings, context)
    unwritten = not _report_written(text, settings)
    if warm is not None and not (args.diff or settings.fix):
        complete = not (report.failures or report.projects_without_checks)
        warm.save(report_parts if complete else None, text, _highest(findings))
    _print_failures(report.failures, aliases)
    for project in report.projects_without_checks:
        print(f"modellint: {printable(str(project.path))}: training project without an mlflow save_model/log_model call: "
              "nothing to check", file=sys.stderr)
    failed = on_report is not None and on_report(report, settings)
    if report.failures or failed:
        return EXIT_ERROR
    return _exit_code(settings, _highest(findings), not unwritten)


def _shown_format(settings: Settings, output_format: str) -> str:
    """The format the report is written in: ``--statistics`` replaces the one-finding-a-line formats."""
    return "statistics" if settings.statistics and output_format in ("full", "concise") else output_format


def _streamed_end(written: Written, output: ReportOutput, settings: Settings, warm: WarmRun | None,
                  report_parts: list[str] | None, aliases: tuple[tuple[Path, str], ...]) -> int:
    """The end of a report written as it was made (:mod:`modellint.report_stream`): the rest of
    its text out, the cache's pack saved with it, what could not be checked said, the exit code."""
    unwritten = not output.finish()
    if warm is not None:
        complete = not (written.failures or written.projects_without_checks)
        warm.save(report_parts if complete else None, output.kept_text(), written.highest)
    _print_failures(written.failures, aliases)
    for project in written.projects_without_checks:
        print(f"modellint: {printable(str(project.path))}: training project without an mlflow save_model/log_model call: "
              "nothing to check", file=sys.stderr)
    if written.failures:
        return EXIT_ERROR
    return _exit_code(settings, written.highest, not unwritten)


def _highest(findings) -> int:
    """The highest severity of ``findings`` (-1 for none): what the exit code depends on."""
    return max((int(finding.severity) for finding in findings), default=-1)


def _exit_code(settings: Settings, severity: int, written: bool) -> int:
    """The exit code of a report whose findings' highest severity is ``severity`` (-1: none)."""
    if not written:  # a report nobody can read is no verdict, --exit-zero or not
        return EXIT_ERROR
    if settings.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if severity >= settings.fail_on else EXIT_CLEAN


def _report_written(text: str, settings: Settings) -> bool:
    """Write a report made whole (stored by the cache, or after fixes) as a streamed one is
    written (:class:`modellint.report_output.ReportOutput`); False when it could not be (said on
    stderr)."""
    from modellint.report_output import ReportOutput

    with ReportOutput(settings.output_file) as output:
        output.write(text)
        return output.finish()


# Formats whose text is the findings' and the settings' alone: `full` asks the terminal its width,
# `sarif` reads the lines of the findings' files, `cyclonedx` reads the models.
_STORED_FORMATS = ("concise", "json", "github", "markdown", "statistics")


def _report_parts(args: argparse.Namespace, settings: Settings, output_format: str, to_terminal: bool) -> list[str] | None:
    """What a report depends on besides the findings, for the cache to keep it beside them; None
    for a format that depends on more."""
    output_format = _shown_format(settings, output_format)
    if output_format not in _STORED_FORMATS:
        return None
    color = to_terminal and "NO_COLOR" not in os.environ
    return [args.command, output_format, repr(settings), os.fspath(Path.cwd()), str(color), __version__]


def _print_failures(failures, aliases: tuple[tuple[Path, str], ...] = ()) -> None:
    """One ``modellint: error: PATH: message`` line per target (or file) that was not checked or fixed."""
    from modellint.engine import display_path
    from modellint.reports import printable

    for failure in failures:
        shown = display_path(failure.path, Path.cwd(), aliases)
        print(f"modellint: error: {printable(shown)}: {printable(failure.message)}",
              file=sys.stderr)


def _use_interpreter(python: Path | None) -> None:
    """``--python``: lay that interpreter's installed distributions (names, modules, versions)
    over the knowledge base. It is asked in a subprocess; nothing of it is imported here.
    Without the option the shipped knowledge alone is used, even after an earlier run in this
    process had one."""
    if python is None:
        knowledge = sys.modules.get("modellint.analyzer.knowledge.distributions")
        if knowledge is not None:  # not imported yet: nothing to reset, and no cost to a lone pickle
            knowledge.use_overlay(None)
        return
    from modellint.analyzer.files import exists, is_dir
    from modellint.analyzer.knowledge.distributions import OverlayError, from_interpreter, use_overlay

    if is_dir(python):  # a virtualenv's folder
        python = next((candidate for candidate in (python / "bin" / "python", python / "Scripts" / "python.exe")
                       if exists(candidate)), python)
    try:
        use_overlay(from_interpreter(python))
    except OverlayError as error:
        raise ConfigError(f"--python: {error}") from None
