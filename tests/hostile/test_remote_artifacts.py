"""A tracking server or artifact store is hostile too: the paths it lists, the sizes it gives and
what its repository leaves on disk. A fake repository plays the server (MLflow's own client talks
to a real one in tests/remote): nothing it says may write or read outside the private download
folder, every byte past the budget is reported as not checked, and the folder is always removed."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from modellint.cli import main
from modellint.remote import fetch
from tests.remote.conftest import CLEAN_CASE, corpus_dir


class FakeRepository:
    """``list_artifacts`` / ``download_artifacts`` as MLflow's repositories answer them, from a
    listing the test writes: folder -> [(path, is_dir, size)], and the bytes of each file."""

    def __init__(self, listing: dict[str, list[tuple[str, bool, int | None]]], contents: dict[str, bytes],
                 on_download=None) -> None:
        self.listing = listing
        self.contents = contents
        self.on_download = on_download

    def list_artifacts(self, path=None):
        return [SimpleNamespace(path=name, is_dir=is_dir, file_size=size)
                for name, is_dir, size in self.listing.get(path or "", [])]

    def download_artifacts(self, artifact_path, dst_path=None):
        target = os.path.join(dst_path, artifact_path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(self.contents[artifact_path])
        if self.on_download is not None:
            self.on_download(artifact_path, target)
        return target


def _model(root: Path) -> tuple[dict, dict]:
    """The listing and contents of a real model dir, as a server would give them."""
    listing: dict[str, list] = {}
    contents: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        folder = "" if "/" not in relative else relative.rsplit("/", 1)[0]
        if path.is_dir():
            listing.setdefault(folder, []).append((relative, True, None))
        else:
            listing.setdefault(folder, []).append((relative, False, path.stat().st_size))
            contents[relative] = path.read_bytes()
    return listing, contents


@pytest.fixture
def serve(monkeypatch, tmp_path):
    """``serve(repository)``: the next URI target resolves to it; downloads go below tmp_path."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))

    def install(repository: FakeRepository) -> Path:
        monkeypatch.setattr(fetch, "_mlflow", lambda tracking_uri: lambda uri: repository)
        return downloads

    return install


def _check(capsys, *arguments: str) -> tuple[int, str, str]:
    code = main(["check", "models:/fraud/3", "--isolated", "--format", "json", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("path", ["../escape.txt", "/etc/escape.txt", "a/../../escape.txt", "./MLmodel", "other/x.txt",
                                  "a\\..\\escape.txt", "a//b", ""])
def test_a_listed_path_that_is_not_plainly_inside_is_refused(serve, capsys, tmp_path, path):
    listing, contents = _model(corpus_dir(CLEAN_CASE))
    listing[""].append((path, False, 3))
    contents[path] = b"pwn"
    downloads = serve(FakeRepository(listing, contents))
    code, out, err = _check(capsys)
    assert (code, out) == (2, "")  # nothing was checked: no report, which could only read as clean
    assert err.startswith("modellint: error: models:/fraud/3: the server listed an artifact path that is not a plain "
                          "path inside the model")
    assert not (tmp_path / "escape.txt").exists() and list(downloads.iterdir()) == []


def test_a_symlink_left_by_a_download_stops_the_lint(serve, capsys, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mlflow==3.0\n")

    def swap(relative, target):
        if relative == "requirements.txt":
            os.unlink(target)
            os.symlink(secret, target)

    listing, contents = _model(corpus_dir(CLEAN_CASE))
    serve(FakeRepository(listing, contents, on_download=swap))
    code, _, err = _check(capsys)
    assert code == 2
    assert "`requirements.txt` was not downloaded as a regular file" in err


def test_a_file_written_beside_the_listing_stops_the_lint(serve, capsys):
    def extra(relative, target):
        if relative == "MLmodel":
            Path(target).with_name("planted.pkl").write_bytes(b"\x80\x04N.")

    listing, contents = _model(corpus_dir(CLEAN_CASE))
    serve(FakeRepository(listing, contents, on_download=extra))
    code, _, err = _check(capsys)
    assert code == 2 and "the download does not hold the files listed (`planted.pkl`)" in err


def test_a_file_bigger_than_listed_is_removed_and_reported(serve, capsys):
    listing, contents = _model(corpus_dir(CLEAN_CASE))
    listing[""] = [(name, is_dir, 10 if name == "model.pkl" else size) for name, is_dir, size in listing[""]]
    serve(FakeRepository(listing, contents))
    code, out, _ = _check(capsys)
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [(finding["code"], finding["path"]) for finding in findings] == [("ML303", "models:/fraud/3/model.pkl")]
    assert "was sent with 816 bytes after being listed with 10 bytes: removed, not checked" in findings[0]["message"]


def test_files_past_the_budget_are_findings_and_the_smallest_come_first(serve, capsys):
    listing, contents = _model(corpus_dir(CLEAN_CASE))
    serve(FakeRepository(listing, contents))
    code, out, _ = _check(capsys, "--max-download", "1200")
    findings = json.loads(out)["findings"]
    assert code == 1
    # MLmodel (935 bytes) first, then the small files while they fit; the rest is not checked.
    withheld = sorted(finding["path"].rsplit("/", 1)[1] for finding in findings)
    assert {finding["code"] for finding in findings} == {"ML303"} and "MLmodel" not in withheld
    assert "model.pkl" in withheld and "requirements.txt" not in withheld
    assert all(finding["message"].endswith("(--max-download): not checked") or "not checked" in finding["message"]
               for finding in findings)


def test_a_file_the_disk_has_no_room_for_is_not_downloaded(serve, capsys, monkeypatch):
    # A model listed within --max-download can still be bigger than the temporary folder's disk:
    # the download would fill it (and fail half-written). It is left out, and said so.
    listing, contents = _model(corpus_dir(CLEAN_CASE))
    downloaded: list[str] = []
    serve(FakeRepository(listing, contents, on_download=lambda path, target: downloaded.append(path)))
    disk = os.statvfs(tempfile.gettempdir())
    free = fetch.DISK_RESERVE + 1900  # room for the 1,883 bytes of small files, not for model.pkl (816) too
    monkeypatch.setattr(fetch.shutil, "disk_usage", lambda folder: SimpleNamespace(
        total=disk.f_blocks * disk.f_frsize, used=0, free=free - sum(len(contents[path]) for path in downloaded)))
    code, out, _ = _check(capsys)
    findings = json.loads(out)["findings"]
    assert code == 1 and "model.pkl" not in downloaded
    assert [(finding["code"], finding["path"]) for finding in findings] == [("ML303", "models:/fraud/3/model.pkl")]
    assert "is more than the temporary folder's disk has free" in findings[0]["message"]
    assert findings[0]["message"].endswith("TMPDIR names another folder): not checked")


def test_downloads_side_by_side_claim_the_disk_before_they_start(tmp_path, monkeypatch):
    # Registry versions download on threads: two files that each fit the free space but not both
    # together must not both start.
    monkeypatch.setattr(fetch.shutil, "disk_usage", lambda folder: SimpleNamespace(
        total=0, used=0, free=fetch.DISK_RESERVE + 1500))
    disk = fetch._Disk()
    assert disk.claim(tmp_path, 1000) is None
    assert disk.claim(tmp_path, 1000) == 500  # the room left while the first is downloading
    disk.release(1000)
    assert disk.claim(tmp_path, 1000) is None


def test_an_mlmodel_over_the_budget_is_an_error_not_a_clean_run(serve, capsys):
    listing, contents = _model(corpus_dir(CLEAN_CASE))
    serve(FakeRepository(listing, contents))
    code, _, err = _check(capsys, "--max-download", "100")
    assert code == 2 and "models:/fraud/3: MLmodel was not downloaded" in err


def test_a_listing_without_end_is_cut_off(serve, capsys, monkeypatch):
    monkeypatch.setattr(fetch, "MAX_ENTRIES", 50)
    listing = {"": [(f"f{index}.txt", False, 1) for index in range(60)] + [("MLmodel", False, 3)]}
    serve(FakeRepository(listing, {}))
    code, _, err = _check(capsys)
    assert code == 2 and "the listing has more than 50 entries" in err


def test_a_listing_too_deep_is_cut_off(serve, capsys):
    listing: dict[str, list] = {}
    folder = ""
    for _ in range(fetch.MAX_DEPTH + 2):
        child = f"{folder}/d" if folder else "d"
        listing.setdefault(folder, []).append((child, True, None))
        folder = child
    serve(FakeRepository(listing, {}))
    code, _, err = _check(capsys)
    assert code == 2 and f"more than {fetch.MAX_DEPTH} folders deep" in err


def test_the_download_folder_is_removed_when_interrupted(serve, capsys):
    def interrupt(relative, target):
        raise KeyboardInterrupt

    listing, contents = _model(corpus_dir(CLEAN_CASE))
    downloads = serve(FakeRepository(listing, contents, on_download=interrupt))
    code, _, err = _check(capsys)
    assert (code, err) == (130, "modellint: interrupted\n")
    assert list(downloads.iterdir()) == []


def test_fix_from_a_config_file_refuses_a_uri_target_too(serve, capsys, tmp_path):
    listing, contents = _model(corpus_dir(CLEAN_CASE))
    downloads = serve(FakeRepository(listing, contents))
    config = tmp_path / "modellint.toml"
    config.write_text("fix = true\n")
    code = main(["check", "models:/fraud/3", "--config", str(config)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.startswith("modellint: error: --fix cannot change a model in a tracking server")
    assert list(downloads.iterdir()) == []


def test_an_empty_folder_listed_exists_as_on_the_server(serve, capsys):
    """A `code/` folder MLmodel names, empty on the server, is not reported missing."""
    listing, contents = _model(corpus_dir(CLEAN_CASE))
    contents["MLmodel"] = contents["MLmodel"].replace(b"    code: null\n", b"    code: code\n")
    listing[""] = [(name, is_dir, len(contents["MLmodel"]) if name == "MLmodel" else size)
                   for name, is_dir, size in listing[""]] + [("code", True, None)]
    serve(FakeRepository(listing, contents))
    code, out, _ = _check(capsys)
    assert (code, json.loads(out)["findings"]) == (0, [])
    # Without the folder, the same MLmodel is reported: the test sees what it must.
    listing[""].pop()
    code, out, _ = _check(capsys)
    assert [finding["path"] for finding in json.loads(out)["findings"]] == ["models:/fraud/3/MLmodel"]


def test_the_download_folder_is_removed_when_terminated(tmp_path):
    """SIGTERM in the middle of a download (a CI job cancelled): exit 143, nothing left behind."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    started = tmp_path / "started"
    script = f"""
import time
from pathlib import Path
from modellint.cli import main
from modellint.remote import fetch
from tests.hostile.test_remote_artifacts import FakeRepository, _model
from tests.remote.conftest import CLEAN_CASE, corpus_dir

def stall(relative, target):
    Path({str(started)!r}).touch()
    time.sleep(60)

listing, contents = _model(corpus_dir(CLEAN_CASE))
fetch._mlflow = lambda tracking_uri: lambda uri: FakeRepository(listing, contents, on_download=stall)
raise SystemExit(main(["check", "models:/fraud/3", "--isolated"]))
"""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env={**os.environ, "TMPDIR": str(downloads)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert started.exists() and list(downloads.iterdir()) != []
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (143, "modellint: terminated\n")
    assert list(downloads.iterdir()) == []


@pytest.mark.parametrize(("listing", "problem"), [
    ({}, "nothing is listed at this URI (a file, or a folder that does not exist)"),
    ({"": [("train.py", False, 10)]}, "no MLmodel at this URI: name the folder that holds the model's MLmodel (1 file listed)"),
])
def test_a_uri_that_names_no_model_dir_says_so(serve, capsys, listing, problem):
    serve(FakeRepository(listing, {"train.py": b"print()\n"}))
    code, out, err = _check(capsys)
    assert (code, out) == (2, "") and err.startswith(f"modellint: error: models:/fraud/3: {problem}")


def test_a_lone_file_is_looked_up_in_its_folder_and_confined_like_the_rest(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pickle = b"\x80\x04\x95\x15\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R."
    folder = FakeRepository({"": [("model.pkl", False, len(pickle)), ("notes.txt", False, 5)]},
                            {"model.pkl": pickle, "notes.txt": b"notes"})
    repositories = {"runs:/r1/model": folder, "runs:/r1/model/model.pkl": FakeRepository({}, {}),
                    "runs:/r1/model/notes.txt": FakeRepository({}, {})}
    monkeypatch.setattr(fetch, "_mlflow", lambda tracking_uri: lambda uri: repositories[uri])
    code = main(["check", "runs:/r1/model/model.pkl", "--isolated", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1 and {(finding["code"], finding["path"]) for finding in findings} == {
        ("ML302", "runs:/r1/model/model.pkl")}
    code = main(["check", "runs:/r1/model/notes.txt", "--isolated"])
    assert (code, capsys.readouterr().err) == (
        2, "modellint: error: runs:/r1/model/notes.txt: not a model dir (no MLmodel) and not a serialized model file\n")
    code = main(["check", "runs:/r1/model/model.pkl", "--isolated", "--max-download", "10"])
    assert code == 2 and "`model.pkl` was not downloaded" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
