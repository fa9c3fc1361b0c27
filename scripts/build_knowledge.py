#!/usr/bin/env python3
"""Build modellint's knowledge base (modellint/analyzer/knowledge/kb.tsv) from PyPI metadata.

Which distributions: the N most downloaded ones (rank column of a PyPI package list, default the
workplace's pypi.tsv), the ML ecosystem named in ``ML_SEEDS`` (MLflow flavors' libraries and their
extras, cloud SDKs, import-name squatters kept so they can be recognised), every ranked
``azure-*``/``azureml-*``/``google-cloud-*``/``langchain*``/``llama-index*`` distribution, and the
dependency closure of all of these. Only those names are looked up: no registry-wide crawl.

How, per distribution (cheap and polite, at most 8 requests in flight, retries with backoff):
  1. ``GET /pypi/<name>/json``: the latest release's files (the trimmed answer is cached);
  2. one wheel is chosen (py3-none-any, else manylinux x86_64 cp311/abi3, else the nearest);
  3. its core metadata comes from PEP 658 (``<wheel url>.metadata``) when the index offers it,
     else from the wheel's own ``*.dist-info/METADATA`` read with an HTTP Range request;
  4. its module layout comes from the zip central directory (Range requests on the tail: the
     End-Of-Central-Directory record, then the directory itself: file names only), namespace-aware
     (see modellint/analyzer/knowledge/layout.py);
  5. sdist-only releases: a small sdist is read for PKG-INFO / egg-info (top_level.txt,
     requires.txt); otherwise the normalised-name guess is recorded and flagged as a guess.

Everything fetched is cached under --cache (default /tmp/kb-cache), so a rerun is quick and
can be made offline. The output is sorted: the same inputs give the same bytes, except for the
recorded build date. Its format (a JSON header line, then one tab-separated line per distribution)
is described in modellint/analyzer/knowledge/distributions.py, which reads it; ``--from-data`` rewrites
an existing data file (either format) without fetching anything, for when only the format changes.

Usage: python scripts/build_knowledge.py [--top 5000] [--cache /tmp/kb-cache] [--date YYYY-MM-DD]
       python scripts/build_knowledge.py --learn-variants  (reads only what variants.tsv names into the shipped
           file, and applies variants.tsv and squatters.tsv to it)
       python scripts/build_knowledge.py --from-data OLD_FILE
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import csv
import datetime as dt
import email.parser
import gzip
import hashlib
import io
import json
import re
import struct
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from modellint.analyzer.knowledge.distributions import (  # noqa: E402
    MARKER_PYTHONS,
    marker_environment,
    marker_of,
    mentions_extra,
    split_extra,
)
from modellint.analyzer.knowledge.layout import importable_path, provided_modules, pth_roots  # noqa: E402
from modellint.analyzer.knowledge.never_suggested import squatters  # noqa: E402
from modellint.analyzer.knowledge.variants import variant_of, variants  # noqa: E402

INDEX = "https://pypi.org"
USER_AGENT = "modellint-build-knowledge/1 (+static linter for MLflow models; cached, <=8 connections)"
DEFAULT_TSV = Path("/work/.library/env/packages/pypi.tsv")
OUTPUT = REPO / "modellint" / "analyzer" / "knowledge" / "kb.tsv"
MAX_WORKERS = 8
MAX_SDIST_BYTES = 64 * 1024 * 1024  # every ranked sdist read whole: dictionaries (ipadic, unidic-lite) ship 13-47 MB
MAX_DISTRIBUTIONS = 12000
FORMAT = 3
# The distribution columns of the data file, in file order; Requires-Dist lines fill the rest.
FILE_COLUMNS = ["name", "version", "download_rank", "flags", "modules", "extras", "requires_python", "requires_dist..."]

# MLflow flavors' libraries, their optional dependencies, the serving stack, cloud SDKs, and the
# distributions known to squat a popular import name (squatters.tsv: kept so the loader can refuse
# to suggest them).
ML_SEEDS = """
mlflow mlflow-skinny mlflow-tracing databricks-sdk databricks-connect databricks-cli
scikit-learn xgboost xgboost-cpu lightgbm catboost
torch torchvision torchaudio torchtext torchmetrics pytorch-lightning lightning timm
tensorflow tensorflow-cpu tensorflow-intel tensorflow-hub tensorflow-text tensorflow-io tensorflow-probability
tensorflow-decision-forests tensorflow-estimator tf-keras keras keras-nlp keras-hub keras-cv
jax jaxlib flax optax
transformers sentence-transformers tokenizers accelerate datasets evaluate huggingface-hub safetensors peft
bitsandbytes sentencepiece tiktoken diffusers setfit
onnx onnxruntime onnxruntime-gpu skl2onnx onnxmltools tf2onnx onnxconverter-common
prophet statsmodels sktime pmdarima diviner neuralprophet gluonts darts
spacy spacy-transformers nltk gensim
pyspark pyspark-connect h2o paddlepaddle paddle2onnx mxnet shap lime interpret
fastai fastcore openai anthropic langchain langchain-core langchain-community langchain-openai
langchain-text-splitters langchain-experimental langgraph llama-index llama-index-core dspy dspy-ai
johnsnowlabs spark-nlp promptflow mleap cloudpickle skops joblib pandas numpy scipy pyarrow polars
fastapi uvicorn flask gunicorn waitress starlette pydantic
boto3 botocore sagemaker s3fs aiobotocore awscli
azureml-core azureml-mlflow azure-ai-ml azure-storage-blob azure-identity azureml-inference-server-http
azureml-defaults azure-ai-inference
google-cloud-storage google-cloud-aiplatform google-cloud-bigquery google-auth gcsfs protobuf
googleapis-common-protos grpcio
opencv-python opencv-python-headless opencv-contrib-python opencv-contrib-python-headless
pillow pillow-simd pillow-heif scikit-image imageio matplotlib seaborn plotly kaleido
hyperopt optuna ray dask distributed imbalanced-learn category-encoders feature-engine
autogluon evidently great-expectations vllm deepspeed triton
pyyaml python-dateutil requests pysocks beautifulsoup4 attrs
""".split() + sorted(squatters())

RANKED_PREFIXES = ("azure-", "azureml-", "google-cloud-", "langchain", "llama-index")

# The one distribution to propose for a module that several distributions provide, where the most
# downloaded provider is not the one the library's own docs tell users to install.
PREFERRED = {"cv2": "opencv-python", "PIL": "pillow"}

# Curated facts for releases whose layout cannot be read cheaply (sdist too big to fetch).
CURATED_LAYOUT = {"pillow-simd": ["PIL"], "pyspark": ["pyspark"], "h2o": ["h2o"],
                  "zensical-ui": ["zensical_ui"]}  # its 0.0.40 files do not say; the 0.0.42 wheel does

# Namespace roots many distributions install into. A wheel that ships a regular
# ``google/__init__.py`` (google-api, grpc-google-logging-v2...) must not become the owner of
# ``google``: that would make it the suggestion for every unknown ``google.*`` import.
SHARED_NAMESPACE_ROOTS = frozenset({"azure", "backports", "google", "google.cloud", "sphinxcontrib"})

_SQUAT_SUMMARY = re.compile(
    r"^\W*deprecated\b|\b(?:is|was|now) deprecated\b|\bdeprecated (?:package|backport|alias|sklearn)\b|placeholder (?:package|project|for)\b|"
    r"dummy package|should be deleted|do not (?:use|install)|security holding|name ?squat|reserved (?:package|name)|"
    r"has been renamed|\buse [\w.-]+ instead\b",
    re.IGNORECASE,
)

# Flag of a distribution variants.tsv names as a build variant or fork of another one.
VARIANT_FLAG = {"v": "build variant or fork of another distribution (variants.tsv): suggested only when its base is not"}
MAX_LEARNED = 200  # --learn-variants: distributions read from the index at most (variants, bases, their dependencies)

_cache_lock = threading.Lock()


# ---------------------------------------------------------------------------- HTTP with a cache


class NotFound(Exception):
    pass


def http_get(url: str, *, byte_range: tuple[int, int] | str | None = None, limit: int = 256 << 20) -> bytes:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if isinstance(byte_range, tuple):
        headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
    elif isinstance(byte_range, str):
        headers["Range"] = byte_range
    delay = 1.0
    for attempt in range(6):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as resp:
                data = resp.read(limit + 1)
                if len(data) > limit:
                    raise RuntimeError(f"{url}: answer larger than {limit} bytes")
                if byte_range is not None and resp.status == 200:
                    data = _slice_full_answer(data, byte_range)
                return data
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                raise NotFound(url) from None
            if exc.code not in (408, 429, 500, 502, 503, 504) or attempt == 5:
                raise
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError):
            if attempt == 5:
                raise
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


def _slice_full_answer(data: bytes, byte_range: tuple[int, int] | str) -> bytes:
    """The server ignored Range and sent the whole file: cut out what was asked."""
    if isinstance(byte_range, tuple):
        return data[byte_range[0] : byte_range[1] + 1]
    return data[int(byte_range.split("=")[1]) :]


class Cache:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, kind: str, key: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", key)
        if len(safe) > 150:
            safe = safe[:100] + hashlib.sha256(key.encode()).hexdigest()[:16]
        return self.root / kind / f"{safe}.json.gz"

    def get(self, kind: str, key: str):
        path = self._path(kind, key)
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return json.load(fh)
        return None

    def put(self, kind: str, key: str, value) -> None:
        path = self._path(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{threading.get_ident()}")
        with gzip.open(tmp, "wt", encoding="utf-8") as fh:
            json.dump(value, fh)
        tmp.replace(path)


# ---------------------------------------------------------------------------- the release's files


def project_json(cache: Cache, name: str) -> dict | None:
    cached = cache.get("project", name)
    if cached is not None:
        return cached or None
    try:
        raw = json.loads(http_get(f"{INDEX}/pypi/{urllib.parse.quote(name)}/json"))
    except NotFound:
        cache.put("project", name, {})
        return None
    base = f"{INDEX}/pypi/{urllib.parse.quote(name)}/json"
    version = raw["info"]["version"]
    files = raw.get("urls") or []
    if not files:  # latest release has no files (all yanked or removed): newest release that has some
        for candidate in sorted(raw.get("releases", {}), key=_version_key, reverse=True):
            if raw["releases"][candidate]:
                version, files = candidate, raw["releases"][candidate]
                break
    trimmed = {
        "name": raw["info"]["name"],
        "version": version,
        "summary": (raw["info"].get("summary") or "")[:300],
        "requires_python": raw["info"].get("requires_python") or "",
        "files": [
            {
                "filename": f["filename"],
                "url": urllib.parse.urljoin(base, f["url"]),
                "packagetype": f["packagetype"],
                "size": f.get("size") or 0,
                "core_metadata": bool(f.get("core_metadata") or f.get("data-dist-info-metadata")),
                "yanked": bool(f.get("yanked")),
            }
            for f in files
        ],
    }
    cache.put("project", name, trimmed)
    return trimmed


def _version_key(text: str):
    try:
        version = Version(text)
        return (not version.is_prerelease, version)
    except InvalidVersion:
        return (False, Version("0"))


_WHEEL = re.compile(r"^(?P<name>.+?)-(?P<ver>[^-]+)(?:-(?P<build>\d[^-]*))?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")


def wheel_preference(filename: str) -> tuple | None:
    """Sort key (smaller is better) for a wheel file name; None when not a wheel."""
    match = _WHEEL.match(filename)
    if not match:
        return None
    pys, abis, plats = (set(match.group(k).split(".")) for k in ("py", "abi", "plat"))
    if "none" in abis and "any" in plats and (pys & {"py3", "py2.py3"} or any(p.startswith("py3") for p in pys)):
        return (0, 0, filename)
    linux64 = any(("manylinux" in p or "linux" in p) and p.endswith("x86_64") and "musl" not in p for p in plats)
    cp_versions = [int(p[3:]) for p in pys if re.fullmatch(r"cp3\d+", p)]
    distance = min((abs(v - 11) + (0.5 if v > 11 else 0) for v in cp_versions), default=50)
    if "abi3" in abis and cp_versions and min(cp_versions) <= 11:
        distance = 0
    if "none" in abis and "any" in plats:
        return (1, 0, filename)  # py2-only or odd tags, still pure
    if linux64:
        return (2, distance, filename)
    if any("linux" in p for p in plats):
        return (3, distance, filename)
    return (4, distance, filename)


def choose_file(files: list[dict]) -> dict | None:
    live = [f for f in files if not f["yanked"]] or files
    wheels = [(wheel_preference(f["filename"]), f) for f in live if f["filename"].endswith(".whl")]
    wheels = [(k, f) for k, f in wheels if k is not None]
    if wheels:
        return min(wheels, key=lambda kf: kf[0])[1]
    sdists = [f for f in live if f["packagetype"] == "sdist"]
    return min(sdists, key=lambda f: f["size"]) if sdists else None


# ---------------------------------------------------------------------------- wheels over HTTP Range


@dataclass
class ZipEntry:
    name: str
    method: int
    compressed: int
    size: int
    offset: int


def central_directory(url: str, file_size: int) -> list[ZipEntry]:
    tail_len = min(file_size, 1 << 16) if file_size else 1 << 16
    tail = http_get(url, byte_range=f"bytes=-{tail_len}")
    tail_start = (file_size or len(tail)) - len(tail)
    eocd = tail.rfind(b"PK\x05\x06")
    if eocd < 0:
        raise RuntimeError(f"{url}: no end of central directory in the last {tail_len} bytes")
    _, _, _, _, count, cd_size, cd_offset, _ = struct.unpack("<4sHHHHIIH", tail[eocd : eocd + 22])
    locator = tail.rfind(b"PK\x06\x07", 0, eocd)
    if locator >= 0:  # zip64
        (eocd64_offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        rec = _read_range(url, tail, tail_start, eocd64_offset, 56)
        count, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
    directory = _read_range(url, tail, tail_start, cd_offset, cd_size)
    entries, pos = [], 0
    for _ in range(count):
        if directory[pos : pos + 4] != b"PK\x01\x02":
            raise RuntimeError(f"{url}: bad central directory entry")
        (method, _, _, _, compressed, size, name_len, extra_len, comment_len, _, _, _, offset) = struct.unpack(
            "<HHHIIIHHHHHII", directory[pos + 10 : pos + 46]
        )
        name = directory[pos + 46 : pos + 46 + name_len].decode("utf-8", "replace")
        extra = directory[pos + 46 + name_len : pos + 46 + name_len + extra_len]
        if 0xFFFFFFFF in (compressed, size, offset):
            size, compressed, offset = _zip64_fields(extra, size, compressed, offset)
        entries.append(ZipEntry(name, method, compressed, size, offset))
        pos += 46 + name_len + extra_len + comment_len
    return entries


def _zip64_fields(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[pos : pos + 4])
        if tag == 1:
            values, field_pos = [], pos + 4
            for current in (size, compressed, offset):
                if current == 0xFFFFFFFF:
                    (current,) = struct.unpack("<Q", extra[field_pos : field_pos + 8])
                    field_pos += 8
                values.append(current)
            return values[0], values[1], values[2]
        pos += 4 + length
    return size, compressed, offset


def _read_range(url: str, tail: bytes, tail_start: int, start: int, length: int) -> bytes:
    if start >= tail_start:
        return tail[start - tail_start : start - tail_start + length]
    return http_get(url, byte_range=(start, start + length - 1))


def read_member(url: str, entry: ZipEntry) -> bytes:
    # Local header (30 bytes) + name + extra (extra length unknown until read: ask for some slack).
    blob = http_get(url, byte_range=(entry.offset, entry.offset + 30 + len(entry.name.encode()) + 1024 + entry.compressed))
    name_len, extra_len = struct.unpack("<HH", blob[26:30])
    data = blob[30 + name_len + extra_len : 30 + name_len + extra_len + entry.compressed]
    if len(data) < entry.compressed:
        start = entry.offset + 30 + name_len + extra_len
        data = http_get(url, byte_range=(start, start + entry.compressed - 1))
    if entry.method == 0:
        return data
    if entry.method == 8:
        return zlib.decompressobj(-15).decompress(data)
    raise RuntimeError(f"{url}: {entry.name} uses zip method {entry.method}")


def wheel_facts(cache: Cache, file: dict) -> dict:
    cached = cache.get("wheel", file["filename"])
    if cached is not None:
        return cached
    url = file["url"]
    entries = central_directory(url, file["size"])
    by_name = {e.name: e for e in entries}
    small: dict[str, str] = {}  # contents of small files the layout needed (cached for offline reruns)

    def read(path: str, limit: int = 64 * 1024) -> bytes | None:
        entry = by_name.get(path)
        if entry is None or entry.size > limit:
            return None
        content = read_member(url, entry)
        small[path] = base64.b64encode(content).decode()
        return content

    metadata = None
    if file["core_metadata"]:
        try:
            metadata = http_get(url + ".metadata").decode("utf-8", "replace")
        except NotFound:
            metadata = None
    dist_info = [e.name for e in entries if re.fullmatch(r"[^/]+\.dist-info/METADATA", e.name)]
    if metadata is None and dist_info:
        path = sorted(dist_info, key=len)[0]
        metadata = (read(path, limit=16 << 20) or b"").decode("utf-8", "replace")
        small.pop(path, None)
    namespace_files = [e.name for e in entries if re.fullmatch(r"[^/]+\.dist-info/namespace_packages\.txt", e.name)]
    for path in namespace_files:
        read(path)
    for e in entries:
        if e.name.endswith(".pth") and "/" not in (importable_path(e.name) or "/"):
            read(e.name)
    facts = {"files": [[e.name, e.size] for e in entries if importable_path(e.name)], "metadata": metadata or "", "small": small}
    # Small __init__.py files that might only extend __path__ are read now, while online.
    layout_from(facts, lambda p: read(p) if p not in small else base64.b64decode(small[p]))
    cache.put("wheel", file["filename"], facts)
    return facts


def layout_from(facts: dict, read, shared: set[str] = frozenset()) -> list[str]:
    small = facts["small"]
    declared: list[str] = []
    roots: list[str] = []
    for path, content in sorted(small.items()):
        text = base64.b64decode(content)
        if path.endswith("namespace_packages.txt"):
            declared += [line.strip() for line in text.decode("utf-8", "replace").splitlines() if line.strip()]
        elif path.endswith(".pth"):
            roots += pth_roots(text)
    return provided_modules(
        [tuple(f) for f in facts["files"]], namespace_packages=declared, read=read, extra_roots=roots, shared=shared
    )


# ---------------------------------------------------------------------------- sdists


class _CountingReader(io.RawIOBase):
    """A response body that stops (EOF) after ``limit`` bytes: big sdists are only read at the head."""

    def __init__(self, resp, limit: int):
        self.resp, self.left, self.truncated = resp, limit, False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            self.truncated = True
            return 0
        data = self.resp.read(min(len(buffer), self.left))
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def sdist_facts(cache: Cache, file: dict) -> dict | None:
    """Member names and egg-info files of an sdist. A tarball is streamed and only its first
    MAX_SDIST_BYTES are read: setuptools puts PKG-INFO and the egg-info near the start."""
    cached = cache.get("sdist", file["filename"])
    if cached is not None:
        return cached or None
    members: dict[str, bytes] = {}
    names: list[tuple[str, int]] = []
    wanted = re.compile(r"^[^/]+/(PKG-INFO|(?:src/)?[^/]+\.egg-info/(?:top_level|requires|namespace_packages)\.txt)$")
    complete = True
    try:
        if file["filename"].endswith(".zip"):
            if file["size"] > MAX_SDIST_BYTES:
                cache.put("sdist", file["filename"], {})
                return None
            with zipfile.ZipFile(io.BytesIO(http_get(file["url"], limit=MAX_SDIST_BYTES * 2))) as zf:
                for info in zf.infolist():
                    names.append((info.filename, info.file_size))
                    if wanted.match(info.filename):
                        members[info.filename] = zf.read(info)
        else:
            request = urllib.request.Request(file["url"], headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=120) as resp:
                reader = _CountingReader(resp, MAX_SDIST_BYTES)
                try:
                    with tarfile.open(fileobj=io.BufferedReader(reader), mode="r|*") as tf:
                        for info in tf:
                            if info.isfile():
                                names.append((info.name, info.size))
                                if wanted.match(info.name):
                                    members[info.name] = tf.extractfile(info).read()
                except (tarfile.TarError, EOFError, zlib.error, OSError):
                    if not reader.truncated:
                        raise
                complete = not reader.truncated
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error, RuntimeError):
        cache.put("sdist", file["filename"], {})
        return None
    facts = {
        "names": names if complete else [],
        "members": {k: v.decode("utf-8", "replace") for k, v in members.items()},
    }
    cache.put("sdist", file["filename"], facts)
    return facts


def sdist_layout(facts: dict) -> tuple[list[str], list[str], bool]:
    """(modules, requires, certain) from an sdist's egg-info, else from its source tree."""
    members = facts["members"]
    top_level = next((v for k, v in sorted(members.items(), key=lambda kv: len(kv[0])) if k.endswith("top_level.txt")), None)
    requires_txt = next((v for k, v in members.items() if k.endswith("requires.txt")), None)
    pkg_info = next((v for k, v in sorted(members.items()) if k.count("/") == 1 and k.endswith("PKG-INFO")), "")
    requires = [r for r in _parse_metadata(pkg_info)["requires"]] if pkg_info else []
    if not requires and requires_txt:
        requires = _requires_txt(requires_txt)
    if top_level is not None:
        modules = sorted({m.strip().replace("/", ".") for m in top_level.splitlines() if m.strip() and not m.startswith("_")} or set())
        if modules:
            return modules, requires, True
    if not facts["names"]:
        return [], requires, False
    stripped = []
    for name, size in facts["names"]:
        parts = name.split("/", 1)
        if len(parts) == 2 and not parts[1].startswith(("tests/", "test/", "docs/", "doc/", "examples/", "benchmarks/")):
            rel = parts[1][4:] if parts[1].startswith("src/") else parts[1]
            stripped.append((rel, size))
    return provided_modules(stripped), requires, False


def _requires_txt(text: str) -> list[str]:
    out, section = [], ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        extra, _, marker = section.partition(":")
        markers = [f"({marker})"] if marker else []
        if extra:
            markers.append(f'extra == "{extra}"')
        out.append(line + (f"; {' and '.join(markers)}" if markers else ""))
    return out


# ---------------------------------------------------------------------------- metadata


def _parse_metadata(text: str) -> dict:
    msg = email.parser.HeaderParser().parsestr(text)
    return {
        "requires": [" ".join(r.split()) for r in msg.get_all("Requires-Dist") or []],
        "extras": sorted({canonicalize_name(e) for e in msg.get_all("Provides-Extra") or []}),
        "requires_python": (msg.get("Requires-Python") or "").strip(),
        "version": (msg.get("Version") or "").strip(),
    }


def _valid_requires(requires: list[str]) -> list[str]:
    valid = []
    for line in requires:
        try:
            Requirement(line)
        except InvalidRequirement:
            continue
        valid.append(line)
    return sorted(set(valid))


def extras_named(requires: list[str]) -> list[str]:
    found = set()
    for line in requires:
        found.update(canonicalize_name(e) for e in re.findall(r"""extra\s*==\s*['"]([^'"]+)['"]""", line))
    return sorted(found)


@dataclass
class Record:
    name: str
    version: str = ""
    rank: int = 0
    flags: str = ""  # see the "flags" legend written into the data file
    modules: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    requires_python: str = ""
    error: str = ""
    wheel: dict | None = None


def describe(cache: Cache, name: str, rank: int) -> Record:
    record = Record(name=name, rank=rank)
    project = project_json(cache, name)
    if project is None:
        record.flags, record.modules, record.error = "g", [guess_module(name)], "not on the index"
        return record
    record.version = project["version"]
    record.requires_python = project["requires_python"]
    chosen = choose_file(project["files"])
    try:
        if chosen is not None and chosen["filename"].endswith(".whl"):
            facts = wheel_facts(cache, chosen)
            record.wheel = chosen
            small = facts["small"]
            record.modules = layout_from(facts, lambda p: base64.b64decode(small[p]) if p in small else None)
            meta = _parse_metadata(facts["metadata"])
            record.requires, record.extras = meta["requires"], meta["extras"]
            record.requires_python = meta["requires_python"] or record.requires_python
            record.flags = "w"
        elif chosen is not None:
            facts = sdist_facts(cache, chosen)
            if facts:
                record.modules, record.requires, certain = sdist_layout(facts)
                record.flags = "s" if certain else ("t" if facts["names"] else "")
    except (RuntimeError, NotFound, urllib.error.URLError, OSError, struct.error, zlib.error, ValueError) as exc:
        record.error = f"{type(exc).__name__}: {exc}"[:200]
    if name in CURATED_LAYOUT:
        record.modules, record.flags = CURATED_LAYOUT[name], record.flags + "c"
    elif not record.flags:
        record.modules, record.flags = [guess_module(name)], "g"
    elif not record.modules:
        record.flags += "e"
    record.requires = _valid_requires(record.requires)
    record.extras = sorted(set(record.extras) | set(extras_named(record.requires)))
    if name in squatters():
        record.flags += "q"
    elif _SQUAT_SUMMARY.search(project["summary"]):
        record.flags += "d"
    return record


def guess_module(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


# ---------------------------------------------------------------------------- selection and build


def read_ranks(tsv: Path) -> dict[str, int]:
    ranks: dict[str, int] = {}
    with tsv.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        col = header.index("rank_among_15000_most_downloaded")
        for row in reader:
            if len(row) > col and row[col].strip().isdigit():
                name = canonicalize_name(row[0])
                rank = int(row[col])
                ranks[name] = min(rank, ranks.get(name, rank))
    return ranks


def seeds(ranks: dict[str, int], top: int) -> tuple[set[str], set[str]]:
    """(all seed names, the ML ones whose extras are followed too)."""
    ml = {canonicalize_name(n) for n in ML_SEEDS}
    chosen = {n for n, r in ranks.items() if r <= top}
    chosen |= {n for n in ranks if n.startswith(RANKED_PREFIXES)}
    return chosen | ml, ml


def dependency_names(record: Record, follow_extras: bool) -> set[str]:
    names = set()
    for line in record.requires:
        req = Requirement(line)
        if req.marker is not None and "extra" in str(req.marker) and not follow_extras:
            continue
        names.add(canonicalize_name(req.name))
    return names


def build(args: argparse.Namespace) -> dict:
    ranks = read_ranks(args.tsv)
    cache = Cache(args.cache)
    pending, ml = seeds(ranks, args.top)
    pending |= variant_names()
    records: dict[str, Record] = {}
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        wave = 0
        while pending and len(records) < MAX_DISTRIBUTIONS:
            batch = sorted(pending)[: MAX_DISTRIBUTIONS - len(records)]
            pending = set()
            wave += 1
            print(f"wave {wave}: {len(batch)} distributions", file=sys.stderr, flush=True)
            futures = {pool.submit(describe, cache, n, ranks.get(n, 0)): n for n in batch}
            for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
                record = future.result()
                records[record.name] = record
                if done % 250 == 0:
                    print(f"  {done}/{len(batch)} in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
            for record in (records[n] for n in batch):
                pending |= dependency_names(record, follow_extras=record.name in ml) - records.keys()
    resolve_shared_namespaces(cache, records)
    for record in records.values():
        record.modules = [m for m in record.modules if m not in SHARED_NAMESPACE_ROOTS]
    errors = sorted((r.name, r.error) for r in records.values() if r.error)
    for name, error in errors:
        print(f"warning: {name}: {error}", file=sys.stderr)
    dists = {
        name: [r.version, r.rank, "".join(sorted(set(r.flags))), r.modules, r.requires, r.extras, r.requires_python]
        for name, r in sorted(records.items())
    }
    return mark_variants({
        "format": FORMAT,
        "build_date": args.date,
        "source": "PyPI JSON API + wheel zip directories / core metadata (scripts/build_knowledge.py)",
        "columns": ["version", "download_rank", "flags", "modules", "requires_dist", "extras", "requires_python"],
        "flags": {
            "w": "layout from a wheel",
            "s": "layout from an sdist's egg-info top_level.txt",
            "t": "layout inferred from an sdist's source tree",
            "g": "unknown layout: the normalised-name guess",
            "c": "curated layout",
            "e": "ships no importable module (meta-package)",
            "q": "squats an import name (curated): never suggested",
            "d": "summary says deprecated / placeholder / renamed: suggested only when nothing else",
        },
        "preferred": dict(sorted(PREFERRED.items())),
        "squatters": dict(sorted(squatters().items())),
        "dists": dists,
        "_seconds": round(time.monotonic() - started, 1),
    })


def resolve_shared_namespaces(cache: Cache, records: dict[str, Record]) -> None:
    """A distribution that ships a thin ``azure/__init__.py`` next to ``azure/monitor/...`` does
    not own ``azure`` when other distributions install into it: look one level deeper."""
    for _ in range(3):
        shared = {
            ".".join(parts[:depth])
            for r in records.values()
            for parts in (m.split(".") for m in r.modules)
            for depth in range(1, len(parts))
        }
        changed = False
        for record in records.values():
            if record.wheel is None or "c" in record.flags or not set(record.modules) & shared:
                continue
            facts = wheel_facts(cache, record.wheel)
            small = facts["small"]
            modules = layout_from(facts, lambda p: base64.b64decode(small[p]) if p in small else None, shared)
            if modules != record.modules:
                print(f"  {record.name}: {record.modules[:3]} -> {modules[:3]} (shared namespace)", file=sys.stderr)
                record.modules, changed = modules, True
        if not changed:
            return


def learn_variants(kb: dict, args: argparse.Namespace) -> dict:
    """``kb`` with every distribution variants.tsv names (variant or base) and their dependencies
    read from the index when it does not record them yet, the ``v`` flag on every variant, and
    each base preferred for the modules its variants provide where installing it brings them."""
    ranks = read_ranks(args.tsv)
    cache = Cache(args.cache)
    dists = kb["dists"]
    pending = variant_names() - dists.keys()
    learned: dict[str, Record] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        while pending and len(learned) < MAX_LEARNED:
            batch = sorted(pending)[: MAX_LEARNED - len(learned)]
            print(f"learning {len(batch)} distributions: {' '.join(batch)}", file=sys.stderr, flush=True)
            for record in pool.map(lambda name: describe(cache, name, ranks.get(name, 0)), batch):
                learned[record.name] = record
                if record.error:
                    print(f"warning: {record.name}: {record.error}", file=sys.stderr)
            pending = {dep for name in batch for dep in dependency_names(learned[name], follow_extras=False)}
            pending -= dists.keys() | learned.keys()
    for name, record in learned.items():
        modules = [m for m in record.modules if m not in SHARED_NAMESPACE_ROOTS]
        dists[name] = [record.version, record.rank, "".join(sorted(set(record.flags))), modules,
                       record.requires, record.extras, record.requires_python]
    return mark_variants(kb)


def variant_names() -> set[str]:
    """The variants and bases variants.tsv names (not its patterns): read like the ML seeds."""
    return {name for variant in variants() for name in (variant.pattern, variant.base) if "*" not in name}


def mark_variants(kb: dict) -> dict:
    """``kb`` with the ``v`` flag on every variant and each base preferred for its variants' modules,
    and the ``q`` flag on exactly the distributions squatters.tsv names."""
    for name, entry in kb["dists"].items():
        flags = set(entry[2]) - {"v", "q"}
        flags |= {"v"} if variant_of(name) is not None else set()
        flags |= {"q"} if name in squatters() else set()
        entry[2] = "".join(sorted(flags))
    kb["squatters"] = dict(sorted(squatters().items()))
    kb["flags"] = {**kb["flags"], **VARIANT_FLAG}
    kb["preferred"] = {**variant_preferences(kb), **PREFERRED}
    return kb


def variant_preferences(kb: dict) -> dict[str, str]:
    """Module -> the base of the variants that provide it, when installing the base installs a
    distribution that provides the module (``tensorrt`` -> ``tensorrt``, through
    ``tensorrt-cu13-bindings``); a base that brings no provider is never proposed for it."""
    from modellint.analyzer.knowledge.distributions import KnowledgeBase

    knowledge = KnowledgeBase({"build_date": kb["build_date"], "dists": kb["dists"]})
    preferred: dict[str, str] = {}
    for name, entry in sorted(kb["dists"].items()):
        variant = variant_of(name)
        if variant is None or variant.base not in kb["dists"] or "q" in kb["dists"][variant.base][2]:
            continue
        installed = knowledge.closure([(variant.base, frozenset())])
        for module in entry[3]:
            if any(module in kb["dists"][dist][3] for dist in installed if dist in kb["dists"]):
                preferred.setdefault(module, variant.base)
    return preferred


def write(kb: dict, output: Path) -> int:
    """Serialise ``kb`` as the loader reads it: a format line, a JSON header, then the module
    index and the distributions as two sections of sorted tab-separated lines.

    Uncompressed and sorted by UTF-8 bytes, so the loader finds a line by binary search in the
    file's bytes and parses nothing else (see ``SortedLines`` in modellint/analyzer/knowledge).
    """
    header = {key: value for key, value in kb.items() if key not in ("dists", "_seconds", "modules")}
    header["format"], header["columns"] = FORMAT, FILE_COLUMNS
    header["marker_pythons"] = list(MARKER_PYTHONS)
    header["markers"] = marker_table(requires for _, _, _, _, requires, _, _ in kb["dists"].values())
    index: dict[str, list[str]] = {}
    for name, entry in sorted(kb["dists"].items()):
        for module in entry[3]:
            index.setdefault(module, []).append(name)
    lines = [f"modellint-knowledge\t{FORMAT}", json.dumps(header, sort_keys=True, ensure_ascii=False), "[modules]"]
    for module in sorted(index, key=str.encode):
        lines.append(f"{module}\t{' '.join(index[module])}")
    lines.append("[distributions]")
    for name in sorted(kb["dists"], key=str.encode):
        version, rank, flags, modules, requires, extras, requires_python = kb["dists"][name]
        fields = [name, version, str(rank), flags, " ".join(modules), " ".join(extras), requires_python, *requires]
        for value in fields:
            if any(c in value for c in "\t\r\n"):
                raise ValueError(f"{name}: a field holds a tab or a line break: {value!r}")
        lines.append("\t".join(fields))
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    tmp = output.with_suffix(".tmp")
    tmp.write_bytes(payload)
    tmp.replace(output)
    return len(payload)


def marker_table(requires_lists) -> dict[str, str]:
    """Each environment condition of the Requires-Dist lines -> whether it holds on CPython 3.x
    Linux x86_64, for each x of ``MARKER_PYTHONS`` ("0"/"1").

    The loader looks markers up here, so computing which distributions a requirement installs
    does not import ``packaging.markers`` (and ``packaging.tags``), 20 ms of every start-up.
    A marker ``condition and extra == "x"`` is recorded as its condition (the loader checks the
    extra itself, see ``split_extra``); any other marker naming ``extra`` is left to packaging.
    """
    from packaging.markers import InvalidMarker, Marker

    table: dict[str, str] = {}
    for requires in requires_lists:
        for line in requires:
            marker = marker_of(line)
            split = split_extra(marker) if marker else None
            condition = split[0] if split is not None else marker
            if not condition or condition in table or mentions_extra(condition):
                continue
            try:
                parsed = Marker(condition)
            except InvalidMarker:
                continue  # the loader asks packaging, which reports the line as invalid
            table[condition] = "".join("1" if parsed.evaluate(marker_environment((3, minor))) else "0"
                                       for minor in MARKER_PYTHONS)
    return dict(sorted(table.items()))


def read_existing(path: Path) -> dict:
    """An existing data file in the current format, in format 2 (one JSON header with the module
    index, then unsorted-by-bytes lines) or in the first (gzip'd JSON)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        return json.loads(gzip.decompress(raw))
    sys.path.insert(0, str(REPO))
    from modellint.analyzer.knowledge.distributions import parse_data

    if raw.startswith(b"modellint-knowledge\t2\n"):  # format 2: the module index was in the header
        header, *rows = raw.decode("utf-8").split("\n")[1:]
        data = json.loads(header)
        data["dists"] = {}
        for row in filter(None, rows):
            name, version, rank, flags, modules, extras, requires_python, *requires = row.split("\t")
            data["dists"][name] = [version, int(rank), flags, modules.split(), requires, extras.split(), requires_python]
        return data
    data = parse_data(raw)
    dists = data["dists"]
    data["dists"] = {name: dists[name] for name in dists}
    for entry in data["dists"].values():
        entry[4] = entry[4].split("\t") if entry[4] else []
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=5000, help="most downloaded distributions to include")
    parser.add_argument("--tsv", type=Path, default=DEFAULT_TSV, help="PyPI package list with a download rank column")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kb-cache"))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="build date to record")
    parser.add_argument("--from-data", type=Path, help="rewrite this existing data file instead of fetching (keeps its build date)")
    parser.add_argument("--learn-variants", action="store_true",
                        help="read the distributions variants.tsv names into the data file (--from-data, default the shipped one)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.learn_variants:
        kb = learn_variants(read_existing(args.from_data or args.output), args)
    else:
        kb = read_existing(args.from_data) if args.from_data else build(args)
    size = write(kb, args.output)
    modules = sum(len(v[3]) for v in kb["dists"].values())
    print(
        f"{len(kb['dists'])} distributions, {modules} modules, {size} bytes -> {args.output} "
        f"in {time.monotonic() - started:.0f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
