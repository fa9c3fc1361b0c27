"""Fetching models named by URI into a private local view, through MLflow's artifact repositories.

MLflow resolves the URI (``models:/``, ``runs:/``, ``mlflow-artifacts:/``, ``s3://``, a plugin's
scheme) with its own client, so credentials, plugins and the tracking URI work as they do for
``mlflow`` itself. What the server says is hostile: every artifact path it lists is checked
before anything is written for it, the listing is bounded, the bytes fetched are budgeted, and
the downloaded tree is checked again (regular files and folders only, all below the view) before
a rule reads it. The view is a ``mkdtemp`` folder removed when the lint is over, also on errors,
Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from modellint.analyzer.files import MLMODEL, lies_below
from modellint.record import Record
from modellint.remote import EXTRA
from modellint.targets import Target, TargetError

# What one run downloads at most, all targets together: a model of a few GiB is linted whole, an
# LLM's weights are not downloaded unless asked for (`--max-download 40G`).
DEFAULT_MAX_BYTES = 4 * 1024**3
# A download leaves at least this much free on the temporary folder's disk: a lint never fills it.
DISK_RESERVE = 256 * 1024**2
# MLflow retries a failed request 7 times with exponential backoff (over 4 minutes for a server
# that is down), to ride out rate limits; a lint says so after a few seconds unless the user asks
# for MLflow's patience by setting the variable.
HTTP_RETRIES = ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
# A model dir has tens of files; a listing of more, or deeper, is not a model MLflow wrote.
MAX_ENTRIES = 10_000
MAX_DEPTH = 32
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024**2, "MB": 1024**2, "MIB": 1024**2,
          "G": 1024**3, "GB": 1024**3, "GIB": 1024**3}


class FetchError(Exception):
    """A URI target that cannot be linted: one line, the other targets still are."""


def parse_size(text: str) -> int:
    """``--max-download``: bytes, or a number with K, M or G (binary units: 1G = 1024**3)."""
    stripped = text.strip().upper()
    number = stripped.rstrip("KMGIB")
    unit = stripped[len(number):]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ValueError(f"--max-download: expected a size such as 500M or 2G, got `{text}`") from None
    if value < 0:
        raise ValueError(f"--max-download: expected a size such as 500M or 2G, got `{text}`")
    return int(value)


def size_text(count: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


class Listed(Record):
    """One file of a listing: its path below the URI (checked) and the size the server gave."""

    __slots__ = ("relative", "size")

    def __init__(self, relative: str, size: int | None) -> None:
        self.relative = relative
        self.size = size


class Fetched(Record):
    """A model fetched into the view: a model dir (``kind`` "model") or a lone serialized file
    ("file"), its local path, and the files left out (relative path -> why), which the lint
    reports as not checked."""

    __slots__ = ("kind", "root", "withheld")

    def __init__(self, kind: str, root: Path, withheld: tuple[tuple[str, str], ...] = ()) -> None:
        self.kind = kind
        self.root = root
        self.withheld = withheld


class _Disk:
    """The free space of the disk the view is on, shared by the threads downloading into it: each
    download claims its listed size first, so that downloads side by side never add up to more
    than is free."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed = 0

    def claim(self, folder: Path, size: int) -> int | None:
        """None once ``size`` bytes are claimed; else the room there is (nothing is claimed)."""
        with self._lock:
            room = _free_space(folder) - self._claimed
            if size > room:
                return max(0, room)
            self._claimed += size
            return None

    def release(self, size: int) -> None:
        with self._lock:
            self._claimed -= size


class _Budget:
    """Bytes that may still be downloaded (one for a whole ``check`` run, or one per URI), and the
    disk they go to."""

    def __init__(self, maximum: int, disk: _Disk) -> None:
        self.maximum = maximum
        self.remaining = maximum
        self.disk = disk


class RemoteView:
    """``with RemoteView(uris, ...) as view``: ``view.targets`` to lint, ``view.errors`` for the URIs
    that could not be fetched, ``view.aliases`` (local root -> URI) for every report, and
    ``view.fetched`` (URI -> its target, or None when it could not be fetched).

    ``per_uri``: ``max_bytes`` is each URI's own budget rather than one for them all, which lets
    ``threads`` fetch URIs side by side (``modellint registry``); ``on_fetched`` is called once
    per URI done, from the thread that fetched it.
    """

    def __init__(self, uris: list[str], tracking_uri: str | None, max_bytes: int = DEFAULT_MAX_BYTES, *,
                 per_uri: bool = False, threads: int = 1, on_fetched: Callable[[], None] | None = None) -> None:
        self.uris = uris
        self.tracking_uri = tracking_uri
        self.max_bytes = max_bytes
        self.per_uri = per_uri
        # A shared budget is spent in order: one URI at a time.
        self.threads = threads if per_uri else 1
        self.on_fetched = on_fetched
        self._disk = _Disk()
        self._budget = _Budget(max_bytes, self._disk)
        self.fetched: dict[str, Target | None] = {}
        self.targets: list[Target] = []
        self.errors: list[TargetError] = []
        self.aliases: tuple[tuple[Path, str], ...] = ()
        self._directory: str | None = None
        self._sigterm: Any = None

    def __enter__(self) -> RemoteView:
        from modellint.process import terminate_on_sigterm

        self._sigterm = terminate_on_sigterm()
        self._sigterm.__enter__()
        try:
            self._directory = tempfile.mkdtemp(prefix="modellint-")
            repositories = _mlflow(self.tracking_uri)
            # Each URI's own folder, shown as the URI: its findings, and its error if it fails.
            destinations = [Path(self._directory) / str(index) for index in range(len(self.uris))]

            def fetch(uri: str, destination: Path) -> Fetched | FetchError:
                budget = _Budget(self.max_bytes, self._disk) if self.per_uri else self._budget
                try:
                    return self._fetch(repositories, uri, destination, budget)
                except FetchError as error:
                    return error
                finally:
                    if self.on_fetched is not None:
                        self.on_fetched()

            results = _map(fetch, self.uris, destinations, self.threads)
            aliases = []
            for uri, destination, result in zip(self.uris, destinations, results):
                if isinstance(result, FetchError):
                    aliases.append((destination, uri.rstrip("/")))
                    self.errors.append(TargetError(destination, str(result)))
                    self.fetched[uri] = None
                    continue
                aliases.append((result.root, uri.rstrip("/")))
                target = Target(result.kind, result.root, result.withheld)
                self.targets.append(target)
                self.fetched[uri] = target
            self.aliases = tuple(aliases)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._directory is not None:
                shutil.rmtree(self._directory, ignore_errors=True)
                self._directory = None
        finally:
            if self._sigterm is not None:
                sigterm, self._sigterm = self._sigterm, None
                sigterm.__exit__(None, None, None)

    def _fetch(self, get_repository: Any, uri: str, destination: Path, budget: _Budget) -> Fetched:
        try:
            repository = get_repository(uri)
            listed, folders = _listing(repository)
        except FetchError:
            raise
        except Exception as error:  # noqa: BLE001 - MLflow, the network and the plugins raise anything
            raise FetchError(mlflow_message(error)) from None
        if not listed:
            return self._fetch_file(get_repository, uri, destination, budget)
        if not any(entry.relative == MLMODEL for entry in listed):
            raise FetchError("no MLmodel at this URI: name the folder that holds the model's MLmodel "
                             f"({len(listed)} file{'s' if len(listed) != 1 else ''} listed)")
        destination.mkdir(mode=0o700)
        withheld = _download(repository, listed, destination, budget)
        if MLMODEL in withheld:
            raise FetchError(f"MLmodel {withheld[MLMODEL]}")
        _check_tree(destination, {entry.relative for entry in listed} - set(withheld))
        # Every folder listed exists, as on the server: empty ones and those of withheld files too.
        for relative in (*folders, *(PurePosixPath(relative).parent.as_posix() for relative in withheld)):
            (destination / relative).mkdir(parents=True, exist_ok=True)
        return Fetched("model", destination, tuple(sorted(withheld.items())))

    def _fetch_file(self, get_repository: Any, uri: str, destination: Path, budget: _Budget) -> Fetched:
        """A URI that lists nothing may name one file (``runs:/<id>/model/model.pkl``): it is
        listed in its parent folder. Linted as a lone serialized file, as on disk."""
        nothing = FetchError("nothing is listed at this URI (a file, or a folder that does not exist): "
                             "name the folder that holds the model's MLmodel, or a serialized file")
        parent, _, name = uri.rstrip("/").rpartition("/")
        if not name or not parent or parent.endswith(":"):
            raise nothing
        try:
            repository = get_repository(parent)
            entries = [info for info in repository.list_artifacts(None) if str(info.path) == name]
        except Exception:  # noqa: BLE001 - the parent is a guess: its failure says nothing about the URI
            raise nothing from None
        if len(entries) != 1 or entries[0].is_dir:
            raise nothing
        size = entries[0].file_size
        entry = Listed(confined_artifact_path(name, ""), int(size) if isinstance(size, int) and size >= 0 else None)
        destination.mkdir(mode=0o700)
        withheld = _download(repository, [entry], destination, budget)
        if withheld:
            raise FetchError(f"`{name}` {withheld[name]}")
        _check_tree(destination, {name})
        from modellint.analyzer.serialized.pickles import sniff

        path = destination / name
        if sniff(path) is None:
            raise FetchError("not a model dir (no MLmodel) and not a serialized model file")
        return Fetched("file", path)


def _map(fetch: Callable[[str, Path], Fetched | FetchError], uris: list[str], destinations: list[Path],
         threads: int) -> list[Fetched | FetchError]:
    """``fetch`` over the URIs, in order, on up to ``threads`` threads: downloads wait on the
    network, not on the interpreter."""
    if threads <= 1 or len(uris) <= 1:
        return [fetch(uri, destination) for uri, destination in zip(uris, destinations)]
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=min(threads, len(uris)), thread_name_prefix="modellint-fetch")
    try:
        return list(pool.map(fetch, uris, destinations))
    finally:
        # Ctrl-C or SIGTERM: what has not started is dropped; what is downloading ends with its file.
        pool.shutdown(wait=True, cancel_futures=True)


def _download(repository: Any, listed: list[Listed], destination: Path, budget: _Budget) -> dict[str, str]:
    """Download ``listed`` into ``destination`` within the budget; the files left out, and why."""
    withheld: dict[str, str] = {}
    # Smallest first: MLmodel and the env files come before the weights a budget may leave out.
    for entry in sorted(listed, key=lambda entry: (entry.relative != MLMODEL, entry.size or 0, entry.relative)):
        if entry.size is not None and entry.size > budget.remaining:
            withheld[entry.relative] = _over_budget(entry.size, budget)
            continue
        claimed = entry.size or 0
        room = budget.disk.claim(destination, claimed)
        if room is not None:
            withheld[entry.relative] = (f"was not downloaded: {size_text(claimed)} is more than the temporary "
                                        f"folder's disk has free ({size_text(room)}, keeping {size_text(DISK_RESERVE)}"
                                        " free; TMPDIR names another folder): not checked")
            continue
        try:
            repository.download_artifacts(entry.relative, str(destination))
        except Exception as error:  # noqa: BLE001
            raise FetchError(f"`{entry.relative}`: {mlflow_message(error)}") from None
        finally:
            budget.disk.release(claimed)
        received = _received(destination, entry.relative)
        if entry.size is not None and received > entry.size:
            os.unlink(destination / entry.relative)
            withheld[entry.relative] = (f"was sent with {size_text(received)} after being listed with "
                                        f"{size_text(entry.size)}: removed, not checked")
        elif received > budget.remaining:
            os.unlink(destination / entry.relative)
            withheld[entry.relative] = _over_budget(received, budget)
        else:
            budget.remaining -= received
    return withheld


def _over_budget(size: int, budget: _Budget) -> str:
    return (f"was not downloaded: {size_text(size)} is over what is left of the download budget "
            f"({size_text(budget.remaining)} of {size_text(budget.maximum)}, --max-download): not checked")


def _free_space(folder: Path) -> int:
    """What may still be written on the disk holding ``folder``."""
    try:
        return max(0, shutil.disk_usage(folder).free - DISK_RESERVE)
    except OSError:
        return 0


def _mlflow(tracking_uri: str | None) -> Any:
    """MLflow's ``get_artifact_repository``, with the tracking URI set; a clear error without MLflow."""
    try:
        import mlflow
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
    except ImportError:
        raise ValueError(f"a model URI needs MLflow's client: pip install '{EXTRA}'") from None
    os.environ.setdefault(*HTTP_RETRIES)
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    return get_artifact_repository


def mlflow_client(tracking_uri: str | None) -> Any:
    """MLflow's tracking client (the registry's too), with the same error as a URI target without MLflow."""
    _mlflow(tracking_uri)
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri)


def mlflow_message(error: Exception) -> str:
    """The first line of what MLflow (or the store below it) said."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    first = str(message).strip().splitlines()
    return first[0] if first else type(error).__name__


def _listing(repository: Any) -> tuple[list[Listed], list[str]]:
    """Every file below the repository's root, with the size the server gives, and every folder;
    each path checked."""
    files: list[Listed] = []
    folders: list[str] = []
    entries = 0
    stack: list[str] = [""]
    while stack:
        folder = stack.pop()
        for info in repository.list_artifacts(folder or None):
            entries += 1
            if entries > MAX_ENTRIES:
                raise FetchError(f"the listing has more than {MAX_ENTRIES} entries: not a model, not fetched")
            relative = confined_artifact_path(str(info.path), folder)
            if info.is_dir:
                if relative.count("/") + 1 > MAX_DEPTH:
                    raise FetchError(f"the listing is more than {MAX_DEPTH} folders deep: not a model, not fetched")
                stack.append(relative)
                folders.append(relative)
            else:
                size = info.file_size
                files.append(Listed(relative, int(size) if isinstance(size, int) and size >= 0 else None))
    return files, folders


def confined_artifact_path(path: str, folder: str) -> str:
    """``path`` as listed in ``folder``, if it is a plain relative path directly inside it."""
    pure = PurePosixPath(path)
    parts = pure.parts
    inside = (path and "\\" not in path and "\x00" not in path and not pure.is_absolute()
              and all(part not in ("", ".", "..") for part in parts) and path == pure.as_posix()
              and (pure.parent.as_posix() == (folder or ".")))
    if not inside:
        from modellint.reports import printable

        raise FetchError(f"the server listed an artifact path that is not a plain path inside the model: "
                         f"`{printable(path)}` (in `{printable(folder) or '.'}`); nothing of it is linted")
    return path


def _received(destination: Path, relative: str) -> int:
    """The size of a file just downloaded, which must be a regular file where it was asked for."""
    try:
        status = os.lstat(destination / relative)
    except OSError as error:
        raise FetchError(f"`{relative}` was listed but not downloaded: {error.strerror or error}") from None
    if not stat.S_ISREG(status.st_mode):
        raise FetchError(f"`{relative}` was not downloaded as a regular file: nothing of the model is linted")
    return status.st_size


def _check_tree(root: Path, expected: set[str]) -> None:
    """The view holds regular files and folders only, all really below ``root``, and every file
    expected: what a repository wrote anywhere else (a symlink, a file it was not asked for) stops
    the lint of this URI."""
    real_root = os.path.realpath(root)
    found: set[str] = set()
    for folder, folders, files in os.walk(root, followlinks=False):
        for name in (*folders, *files):
            path = os.path.join(folder, name)
            relative = Path(path).relative_to(root).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode) or not lies_below(real_root, os.path.realpath(path)):
                raise FetchError(f"the download left `{relative}`, which is not a regular file inside the model: "
                                 "nothing of it is linted")
            found.add(relative)
    if found != expected:
        extra = sorted(found - expected) or sorted(expected - found)
        raise FetchError(f"the download does not hold the files listed (`{extra[0]}`): nothing of it is linted")
