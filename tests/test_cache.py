"""The findings cache (modellint.cache): a hit gives exactly what linting gives, a change to
anything the findings depend on is a miss, and no entry, however broken or planted, can stand in
for the lint of a target it was not written for."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modellint.cache import digest, fingerprint
from modellint.cache.store import FORMAT, TargetCache
from modellint.cli import main
from modellint.targets import Target
from tests.cache_store import BROKEN, CORPUS, PICKLED, UNREADABLE, cache_on, copy_store, replace_unreadable
from tests.conftest import REPO, write_files


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """The cache on, in a folder of the test's own. Whether a tree copied a moment ago has
    settled by the time it is walked would depend on the machine's speed: in-process runs treat
    none as settled (only content keys) unless the test asks for ``settled``."""
    return cache_on(tmp_path, monkeypatch, 10**18)


@pytest.fixture
def store(tmp_path) -> Path:
    return copy_store(tmp_path)


def _key(target: Target) -> str | None:
    tree = digest.walk(target, "run")
    return None if tree is None else tree.content_key()


def _json(capsys, *arguments: str) -> dict:
    main(["check", *arguments, "--isolated", "--format", "json"])
    return json.loads(capsys.readouterr().out)


def _entries(directory: Path) -> list[Path]:
    return sorted((directory / FORMAT).glob("*/*.json"))


def test_a_second_run_reads_the_cache_and_reports_exactly_the_same(cache_dir, store, capsys, monkeypatch):
    cold = _json(capsys, str(store))
    assert len(_entries(cache_dir)) == 4
    assert {oct(folder.stat().st_mode & 0o777) for folder in (cache_dir, cache_dir / FORMAT)} == {"0o700"}
    linted = []
    from modellint import engine

    original = engine._target_findings
    monkeypatch.setattr(engine, "_target_findings", lambda *a: linted.append(a[0]) or original(*a))
    assert _json(capsys, str(store)) == cold
    assert linted == []  # every model dir came from the cache
    assert _json(capsys, str(store), "--no-cache") == cold
    assert len(linted) == 4
    assert {finding["code"] for finding in cold["findings"]} >= {"ML104", "ML301", "ML103"}


def test_without_the_cache_nothing_is_written(cache_dir, store, capsys, monkeypatch):
    _json(capsys, str(store), "--no-cache")
    monkeypatch.setenv("MODELLINT_NO_CACHE", "1")
    _json(capsys, str(store))
    assert not cache_dir.exists()


def test_cache_dir_option_names_the_folder(cache_dir, store, capsys, tmp_path):
    _json(capsys, str(store), "--cache-dir", str(tmp_path / "elsewhere"))
    assert len(_entries(tmp_path / "elsewhere")) == 4 and not cache_dir.exists()


def test_a_changed_file_is_a_miss_and_its_new_findings_are_reported(cache_dir, store, capsys):
    before = _json(capsys, str(store))
    requirements = store / BROKEN / "requirements.txt"
    requirements.write_text("mlflow==3.1.0\ncloudpickle==3.1.1\nscikit-learn==1.7.0\n")
    after = _json(capsys, str(store))
    assert after == _json(capsys, str(store), "--no-cache")
    in_requirements = [[f for f in report["findings"] if f["code"] == "ML104" and f["path"].endswith("requirements.txt")]
                       for report in (before, after)]
    assert in_requirements[0] and not in_requirements[1]


@pytest.mark.parametrize("change", ["rename", "new-empty-folder", "new-symlink", "relink", "mode-fifo", "withheld"])
def test_every_part_of_the_tree_is_in_the_key(tmp_path, change):
    model = tmp_path / "model"
    shutil.copytree(CORPUS / BROKEN, model)
    os.symlink("requirements.txt", model / "link")
    target = Target("model", model)
    before = _key(target)
    assert before is not None and before == _key(target)
    if change == "rename":
        (model / "conda.yaml").rename(model / "conda.yml")
    elif change == "new-empty-folder":
        (model / "empty").mkdir()
    elif change == "new-symlink":
        os.symlink("/etc/passwd", model / "outside")
    elif change == "relink":
        (model / "link").unlink()
        os.symlink("MLmodel", model / "link")
    elif change == "mode-fifo":
        os.mkfifo(model / "pipe.py")  # never opened: hashing must not block on it
    else:
        target = Target("model", model, (("model.pkl", "was not downloaded"),))
    after = _key(target)
    assert after is not None and after != before


def test_the_run_fingerprint_changes_with_version_date_rules_and_settings(monkeypatch):
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings
    from modellint.rules import ALL_RULES, RULE_TABLE

    # A rule is fingerprinted by its entry, which names the module and class it is loaded from.
    assert [(entry.module, entry.class_name) for entry in RULE_TABLE] == [
        (rule.__module__, rule.__qualname__) for rule in ALL_RULES]
    day = datetime.date(2026, 12, 7)
    base = fingerprint.run_fingerprint(RULE_TABLE, None, day)
    assert base == fingerprint.run_fingerprint(RULE_TABLE, None, day)
    assert base != fingerprint.run_fingerprint(RULE_TABLE, None, day + datetime.timedelta(days=1))
    assert base != fingerprint.run_fingerprint(RULE_TABLE[1:], None, day)
    assert base != fingerprint.run_fingerprint(RULE_TABLE, EnvironmentSettings(known_first_party=("ours",)), day)
    default = fingerprint.run_fingerprint(RULE_TABLE, EnvironmentSettings(), day)
    assert default != fingerprint.run_fingerprint(RULE_TABLE, EnvironmentSettings(python=(3, 12)), day)
    assert default != fingerprint.run_fingerprint(RULE_TABLE, EnvironmentSettings(platform="linux/aarch64"), day)
    monkeypatch.setattr("modellint.__version__", "99.0.0")
    assert base != fingerprint.run_fingerprint(RULE_TABLE, None, day)


def test_an_edited_file_of_modellint_is_a_new_fingerprint(tmp_path, monkeypatch):
    package = tmp_path / "modellint"
    package.mkdir()
    (package / "rule.py").write_text("x = 1\n")
    monkeypatch.setattr(fingerprint, "_PACKAGE", package)
    before = fingerprint.run_fingerprint([], None)
    (package / "rule.py").write_text("x = 22\n")
    assert fingerprint.run_fingerprint([], None) != before


# A finding is a row: code, name, severity, message, path, line, column, end line, end column,
# fix title, fix, root (see modellint.cache.codec).
_ROW_DAMAGE = {
    "bad-finding": lambda document: document["findings"][0].__setitem__(5, "one"),
    "bad-severity": lambda document: document["findings"][0].__setitem__(2, 7),
    "bool-line": lambda document: document["findings"][0].__setitem__(5, True),
    "short-row": lambda document: document["findings"][0].pop(),
    "long-row": lambda document: document["findings"][0].append(None),
    "negative-path": lambda document: document["findings"][0].__setitem__(4, -1),
    "path-out-of-range": lambda document: document["findings"][0].__setitem__(4, len(document["paths"])),
    "bad-path-flag": lambda document: document["paths"][0].__setitem__(0, 2),
    "bad-fix": lambda document: document["fixes"][0].__setitem__(1, "maybe"),
    "fix-out-of-range": lambda document: document["findings"][0].__setitem__(10, len(document["fixes"])),
    "edit-past-its-fields": lambda document: document["fixes"][0][2][0].append(0),
    "findings-not-a-list": lambda document: document.__setitem__("findings", {"0": []}),
}


def _corrupt(entry: Path, how: str) -> None:
    text = entry.read_text()
    if how == "truncated":
        entry.write_text(text[: len(text) // 2])
    elif how == "garbage":
        entry.write_bytes(b"\x00\xff" * 100)
    elif how == "other-key":  # a whole entry of another target, copied over this one
        document = json.loads(text)
        entry.write_text(json.dumps({**document, "key": "0" * 64, "findings": []}))
    elif how in _ROW_DAMAGE:  # one field of the first finding
        document = json.loads(text)
        _ROW_DAMAGE[how](document)
        entry.write_text(json.dumps(document))
    elif how == "other-version":  # an entry as another version of modellint would write it
        document = json.loads(text)
        entry.write_text(json.dumps({**document, "format": "modellint-cache-1"}))
    elif how == "deep":
        entry.write_text("[" * 100_000 + "]" * 100_000)
    elif how in UNREADABLE:
        replace_unreadable(entry, how, 65 * 1024**2)


@pytest.mark.parametrize("how", ["truncated", "garbage", "other-key", "other-version", *_ROW_DAMAGE, "deep", "symlink",
                                 "fifo", "huge"])
def test_a_broken_entry_is_a_miss_never_a_wrong_answer(cache_dir, tmp_path, capsys, how):
    model = tmp_path / BROKEN
    shutil.copytree(CORPUS / BROKEN, model)
    cold = _json(capsys, str(model))
    (entry,) = _entries(cache_dir)
    _corrupt(entry, how)
    assert TargetCache(cache_dir, "").load(entry.stem, model) is None
    assert _json(capsys, str(model)) == cold
    # Linted again, and written again whole.
    assert TargetCache(cache_dir, "").load(entry.stem, model) is not None


def test_a_target_that_changes_while_it_is_linted_is_not_stored(cache_dir, tmp_path, capsys, monkeypatch):
    from modellint import engine

    model = tmp_path / BROKEN
    shutil.copytree(CORPUS / BROKEN, model)
    original = engine._target_findings

    def edited_meanwhile(*arguments):
        found = original(*arguments)
        (model / "requirements.txt").write_text("mlflow==3.1.0\n")
        return found

    monkeypatch.setattr(engine, "_target_findings", edited_meanwhile)
    _json(capsys, str(model))
    assert _entries(cache_dir) == []


def test_runs_side_by_side_share_the_cache(cache_dir, store):
    # Four processes at once on an empty cache: each writes every entry (atomically), and each
    # report is the one linting gives.
    command = [sys.executable, "-m", "modellint", "check", str(store), "--isolated", "--format", "json"]
    environment = {**os.environ, "MODELLINT_CACHE_DIR": str(cache_dir)}
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, env=environment) for _ in range(4)]
    outputs = {run.communicate()[0] for run in runs}
    uncached = subprocess.run([*command, "--no-cache"], stdout=subprocess.PIPE, env=environment, check=False).stdout
    assert outputs == {uncached}
    # One entry per model dir under its content key, and one under its state key for a copy
    # whose entries had settled by the time it was walked (on a loaded machine, some had).
    assert 4 <= len(_entries(cache_dir)) <= 8
    assert not list((cache_dir / FORMAT).glob("*/.entry-*"))  # no temporary file left behind
    assert all(TargetCache(cache_dir, "").load(entry.stem, store) is not None for entry in _entries(cache_dir))


def _lone_pickle(path: Path, payload: int) -> Path:
    """PROTO 4, ``payload`` bytes of BINBYTES8, POP, then ``os.system("true")``: ML302."""
    path.write_bytes(b"\x80\x04\x8e" + payload.to_bytes(8, "little") + bytes(payload)
                     + b"0\x8c\x02os\x94\x8c\x06system\x94\x93\x8c\x04true\x94\x85R.")
    return path


def test_a_lone_serialized_file_is_cached_when_its_scan_can_cost_more_than_its_hash(cache_dir, tmp_path, capsys):
    small = _json(capsys, str(_lone_pickle(tmp_path / "small.pkl", 1000)))
    assert "ML302" in [finding["code"] for finding in small["findings"]] and not cache_dir.exists()
    lone = _lone_pickle(tmp_path / "model.pkl", 2 * 1024**2)
    cold = _json(capsys, str(lone))
    assert "ML302" in [finding["code"] for finding in cold["findings"]]
    assert len(_entries(cache_dir)) == 1
    assert _json(capsys, str(lone)) == cold


PROJECTS = REPO / "corpus" / "projects"


def _project_checks(monkeypatch) -> list[Path]:
    """The projects linted from here on (not read from the cache)."""
    from modellint import project_mode

    checked: list[Path] = []
    original = project_mode.check_project
    monkeypatch.setattr(project_mode, "check_project", lambda root, *a: checked.append(root) or original(root, *a))
    return checked


def test_a_training_project_is_cached_like_a_model_dir(cache_dir, tmp_path, capsys, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "lazy-import-missing", project)
    cold = _json(capsys, str(project))
    assert cold["findings"] and len(_entries(cache_dir)) == 1
    checked = _project_checks(monkeypatch)
    assert _json(capsys, str(project)) == cold
    assert checked == []
    assert _json(capsys, str(project), "--no-cache") == cold and len(checked) == 1
    # A changed file is a miss, and its findings are the new ones (none: it saves no model now).
    (project / "train.py").write_text("import json\n")
    assert _json(capsys, str(project)) == _json(capsys, str(project), "--no-cache") != cold


def test_a_project_whose_code_paths_leave_it_is_linted_every_time(cache_dir, tmp_path, capsys, monkeypatch):
    # `code_paths=["../src"]`: whether that exists, and is a folder, is not in the project's tree.
    shutil.copytree(PROJECTS / "codepaths-parent", tmp_path / "parent")
    project = tmp_path / "parent" / "job"
    cold = _json(capsys, str(project))
    assert "ML204" in [finding["code"] for finding in cold["findings"]]
    assert _entries(cache_dir) == []
    checked = _project_checks(monkeypatch)
    assert _json(capsys, str(project)) == cold and len(checked) == 1


def test_a_project_holding_a_symlink_or_named_by_one_file_is_not_cached(cache_dir, tmp_path, capsys):
    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "pyfunc-codepaths-dir", project)
    (project / "elsewhere").symlink_to(tmp_path)
    _json(capsys, str(project))
    _json(capsys, str(project / "train.py"))
    assert _entries(cache_dir) == []


@pytest.mark.parametrize("install", [".venv/pyvenv.cfg", "node_modules/left-pad/index.js"])
def test_a_project_holding_installed_packages_is_not_walked(cache_dir, tmp_path, capsys, monkeypatch, install):
    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "lazy-import-missing", project)
    write_files(project, {install: ""})
    listed = []
    original = digest._add_tree
    monkeypatch.setattr(digest, "_add_tree", lambda *a: listed.append(a[0]) or original(*a))
    assert _json(capsys, str(project)) == _json(capsys, str(project), "--no-cache")
    assert _entries(cache_dir) == [] and listed == []


def test_a_project_without_a_save_call_is_not_stored_and_still_said_so(cache_dir, tmp_path, capsys):
    project = write_files(tmp_path / "project", {"helpers.py": "import json\n"})
    for _ in range(2):
        main(["check", str(project), "--isolated"])
        assert "without an mlflow save_model/log_model call" in capsys.readouterr().out
    assert _entries(cache_dir) == []


def test_an_unwritable_cache_is_no_error(cache_dir, store, capsys):
    cache_dir.write_text("a file where the folder should be: nothing can be written below it\n")
    assert _json(capsys, str(store)) == _json(capsys, str(store), "--no-cache")
    assert cache_dir.is_file()


def test_findings_too_big_for_an_entry_are_not_encoded(tmp_path):
    from modellint.cache.store import MAX_ENTRY_BYTES
    from modellint.findings import Edit, Finding, Fix, Severity

    rewrite = Fix("rewrite", (Edit(tmp_path / "requirements.txt", 0, 1, "x" * (MAX_ENTRY_BYTES // 40)),))
    findings = [Finding("ML104", "invalid-requirement", Severity.ERROR, "bad", tmp_path / "requirements.txt",
                        fix=rewrite)] * 20
    cache = TargetCache(tmp_path / "cache", "")
    cache.store(["ab" * 32], findings, tmp_path)
    assert not (tmp_path / "cache").exists()
    cache.store(["cd" * 32], findings[:2], tmp_path)
    assert cache.load("cd" * 32, tmp_path) == findings[:2]


def test_entries_cannot_run_into_each_other_in_the_key(tmp_path):
    # At one path, a link `a` to `b c`, then a link `a b` to `c`: once the same bytes to the digest.
    model = tmp_path / "model"
    model.mkdir()
    os.symlink("b c", model / "a")
    first = _key(Target("model", model))
    (model / "a").unlink()
    os.symlink("c", model / "a b")
    second = _key(Target("model", model))
    assert first is not None and second is not None and first != second


def test_a_folder_of_more_entries_than_the_budget_is_not_read_to_the_end(tmp_path, monkeypatch):
    model = tmp_path / "model"
    (model / "many").mkdir(parents=True)
    for index in range(50):
        (model / "many" / f"{index}").touch()
    monkeypatch.setattr(digest, "MAX_ENTRIES", 20)
    listed: list[int] = []
    original = os.scandir

    class Counting:
        def __init__(self, folder):
            self._listing = original(folder)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._listing.close()

        def __iter__(self):
            for entry in self._listing:
                listed.append(1)
                yield entry

    monkeypatch.setattr(digest.os, "scandir", Counting)
    assert digest.walk(Target("model", model), "run") is None
    assert len(listed) <= 21


def test_fixes_read_from_the_cache_write_what_fresh_ones_write(cache_dir, tmp_path, capsys):
    # The fixes of a cached finding (edits: offsets and text) are applied as read back: the files
    # they leave are those a fix computed afresh leaves.
    cached, fresh = tmp_path / "cached", tmp_path / "fresh"
    shutil.copytree(CORPUS / BROKEN, cached / BROKEN)
    shutil.copytree(CORPUS / BROKEN, fresh / BROKEN)
    _json(capsys, str(cached))  # fills the cache
    assert len(_entries(cache_dir)) == 1
    main(["check", str(cached), "--isolated", "--fix", "--unsafe-fixes", "--format", "json"])
    main(["check", str(fresh), "--isolated", "--fix", "--unsafe-fixes", "--format", "json", "--no-cache"])
    capsys.readouterr()
    for name in ("requirements.txt", "conda.yaml", "python_env.yaml", "MLmodel"):
        assert (cached / BROKEN / name).read_bytes() == (fresh / BROKEN / name).read_bytes(), name
    assert (cached / BROKEN / "requirements.txt").read_bytes() != (CORPUS / BROKEN / "requirements.txt").read_bytes()


# --- entries found by the states of a tree's entries (TreeWalk.state_key) ----------------------


@pytest.fixture
def settled(cache_dir, monkeypatch):
    """Entries count as settled as soon as they are written (the tests' copies are seconds old)."""
    monkeypatch.setattr(digest, "SETTLED_NANOSECONDS", 0)


def test_a_warm_run_reads_no_file_of_an_unchanged_tree(cache_dir, store, capsys, monkeypatch, settled):
    cold = _json(capsys, str(store))
    assert len(_entries(cache_dir)) == 8  # each model dir under its content key, and its names and states
    read = []
    original = digest._content_digest
    monkeypatch.setattr(digest, "_content_digest", lambda path, info: read.append(path) or original(path, info))
    assert _json(capsys, str(store)) == cold
    assert read == []


def test_a_touched_tree_is_found_by_its_content_and_then_by_its_new_states(cache_dir, store, capsys, monkeypatch,
                                                                          settled):
    cold = _json(capsys, str(store))
    os.utime(store / BROKEN / "MLmodel")  # new times, same bytes
    from modellint import engine

    linted = []
    original = engine._target_findings
    monkeypatch.setattr(engine, "_target_findings", lambda *a: linted.append(a[0]) or original(*a))
    assert _json(capsys, str(store)) == cold
    # Its names and new states replace the old ones: the next run reads no file of it.
    assert linted == [] and len(_entries(cache_dir)) == 8
    read = []
    original_digest = digest._content_digest
    monkeypatch.setattr(digest, "_content_digest", lambda path, info: read.append(path) or original_digest(path, info))
    assert _json(capsys, str(store)) == cold
    assert read == []


def test_a_file_rewritten_with_its_old_size_and_time_is_read_again(cache_dir, store, capsys, settled):
    requirements = store / BROKEN / "requirements.txt"
    before = _json(capsys, str(store))
    old = requirements.stat()
    # The same length, valid lines instead of the broken one, and the old modification time put
    # back: only the change time (which the owner cannot set) shows the edit.
    fixed = "mlflow==3.1.0\ncloudpickle==3.1.1\nscikit-learn==1.7.0\n"
    requirements.write_text(fixed.ljust(old.st_size - 1) + "\n")
    os.utime(requirements, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert requirements.stat().st_size == old.st_size and requirements.stat().st_mtime_ns == old.st_mtime_ns
    after = _json(capsys, str(store))
    assert after == _json(capsys, str(store), "--no-cache") and after != before


def test_a_tree_changed_just_before_it_is_walked_has_no_state_key(tmp_path):
    # Its times may be those of a write still to come within the same clock tick.
    model = tmp_path / "model"
    shutil.copytree(CORPUS / BROKEN, model)
    tree = digest.walk(Target("model", model), "run")
    assert tree is not None and tree.content_key() is not None and tree.state_key() is None


def test_state_and_content_keys_never_meet(tmp_path, settled):
    model = tmp_path / "model"
    shutil.copytree(CORPUS / BROKEN, model)
    tree = digest.walk(Target("model", model), "run")
    assert tree is not None and tree.state_key() not in (None, tree.content_key())


# --- the warm path: hits read in the main process, reports byte for byte -------------------------


def _run(capsys, *arguments: str) -> tuple[int, str]:
    code = main(["check", *arguments, "--isolated"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("options", [
    ("--format", "concise"), ("--format", "full"), ("--format", "json"), ("--format", "sarif"), ("--format", "github"),
    ("--format", "markdown"), ("--statistics",), ("--ignore", "ML104", "--format", "concise"),
    ("--select", "ML3", "--format", "json"), ("--fail-on", "error", "--format", "concise"),
    ("--target", "databricks", "--format", "concise"), ("--unsafe-fixes", "--format", "concise"),
    ("--config", "per-path-ignores", "--format", "concise"),
])
def test_a_report_from_the_cache_is_the_report_without_it(cache_dir, store, capsys, settled, options, tmp_path):
    if options[0] == "--config":
        configuration = tmp_path / "modellint.toml"
        configuration.write_text('per-path-ignores = { "**/requirements.txt" = ["ML104"] }\n')
        options = ("--config", str(configuration), *options[2:])
    # Filled by a run in another format: the entries hold findings, never a report of them.
    main(["check", str(store), "--format", "json", "--isolated"])
    capsys.readouterr()
    assert len(_entries(cache_dir)) == 8
    warm = _options_run(capsys, str(store), *options)
    assert warm == _options_run(capsys, str(store), *options, "--no-cache")
    assert warm[1]


def _options_run(capsys, *arguments: str) -> tuple[int, str]:
    code = main(["check", *arguments, *(() if "--config" in arguments else ("--isolated",))])
    return code, capsys.readouterr().out


def test_a_warm_run_starts_no_worker(cache_dir, store, capsys, settled, monkeypatch):
    from modellint import engine

    monkeypatch.setattr(engine, "_PARALLEL_THRESHOLD", 2)  # four model dirs are "many"
    cold = _run(capsys, str(store), "--jobs", "2", "--format", "json")

    def no_pool(*arguments, **options):
        raise AssertionError("a worker process was started for targets the cache holds")

    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", no_pool)
    assert _run(capsys, str(store), "--jobs", "2", "--format", "json") == cold


def test_only_the_changed_targets_are_linted_and_in_their_place(cache_dir, store, capsys, settled, monkeypatch):
    from modellint import engine

    cold = _json(capsys, str(store))
    requirements = store / BROKEN / "requirements.txt"
    requirements.write_text("mlflow==3.1.0\ncloudpickle==3.1.1\nscikit-learn==1.7.0\n")
    linted = []
    original = engine._target_findings
    monkeypatch.setattr(engine, "_target_findings", lambda *a: linted.append(a[0]) or original(*a))
    warm = _json(capsys, str(store))
    assert linted == [Target("model", store / BROKEN)]
    assert warm == _json(capsys, str(store), "--no-cache") != cold


@pytest.mark.parametrize("where", ["top", "below"])
def test_a_file_added_to_a_folder_whose_times_are_put_back_is_a_miss(cache_dir, store, capsys, settled, monkeypatch,
                                                                      where):
    # The names of the last walk are not listed again: the folder's change time (which its owner
    # cannot set) tells that it holds a new one.
    from modellint import engine

    folder = store / PICKLED / ("artifacts" if where == "below" else "")
    write_files(folder, {"notes.txt": "x\n"})
    cold = _json(capsys, str(store))
    old = folder.stat()
    (folder / "helper.py").write_text("import os\n")
    os.utime(folder, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert folder.stat().st_mtime_ns == old.st_mtime_ns
    linted = []
    original = engine._target_findings
    monkeypatch.setattr(engine, "_target_findings", lambda *a: linted.append(a[0]) or original(*a))
    assert _json(capsys, str(store)) == cold
    assert linted == [Target("model", store / PICKLED)]


@pytest.mark.parametrize("names", ["one-left-out", "one-added", "not-a-list", "not-names", "nul", "reordered"])
def test_names_that_are_not_the_walk_s_are_a_miss(cache_dir, tmp_path, capsys, settled, monkeypatch, names):
    from modellint import engine

    model = tmp_path / BROKEN
    shutil.copytree(CORPUS / BROKEN, model)
    cold = _json(capsys, str(model))
    (entry,) = [path for path in _entries(cache_dir) if "names" in json.loads(path.read_text())]
    document = json.loads(entry.read_text())
    listed = document["names"]
    document["names"] = {"one-left-out": listed[1:], "one-added": [*listed, "elsewhere"], "not-a-list": "MLmodel",
                         "not-names": [1, 2], "nul": ["MLmodel\u0000"], "reordered": listed[::-1]}[names]
    entry.write_text(json.dumps(document))
    linted = []
    original = engine._target_findings
    monkeypatch.setattr(engine, "_target_findings", lambda *a: linted.append(a[0]) or original(*a))
    read = []
    original_digest = digest._content_digest
    monkeypatch.setattr(digest, "_content_digest", lambda path, info: read.append(path) or original_digest(path, info))
    assert _json(capsys, str(model)) == cold
    assert read  # found again by its content (nothing changed), not by the names
    assert json.loads(entry.read_text())["names"] == listed  # and its names written again


def test_more_names_than_a_walk_may_hold_are_not_looked_at(tmp_path, monkeypatch, settled):
    model = tmp_path / "model"
    shutil.copytree(CORPUS / BROKEN, model)
    target = Target("model", model)
    tree = digest.walk(target, "run")
    assert tree is not None and digest.restated(target, "run", tree.names()) == tree.state_key() is not None
    looked = []
    original = os.lstat
    monkeypatch.setattr(digest.os, "lstat", lambda path: looked.append(path) or original(path))
    assert digest.restated(target, "run", tree.names() * (digest.MAX_ENTRIES // len(tree.names()) + 1)) is None
    assert looked == []


def test_a_run_the_cache_answers_whole_imports_no_rule(cache_dir, store, capsys, settled, monkeypatch):
    # Only a target that is linted needs the rules' modules (and what they import: YAML, packaging).
    cold = _json(capsys, str(store))
    rule_modules = [name for name in sys.modules if name.startswith("modellint.rules.ml")]
    assert "modellint.rules.ml104_invalid_requirement" in rule_modules
    for name in rule_modules:
        monkeypatch.delitem(sys.modules, name)  # put back after the test
    assert _json(capsys, str(store)) == cold
    assert [name for name in sys.modules if name.startswith("modellint.rules.ml")] == []
