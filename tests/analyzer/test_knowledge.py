"""The shipped knowledge base: namespace depth, multi-valued modules, dependency closure, extras,
squatters, stdlib per version, the loader, and the ``--python`` overlay."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pytest

from modellint.analyzer.knowledge import distributions as knowledge
from modellint.analyzer.knowledge import stdlib
from modellint.analyzer.knowledge.distributions import (
    DATA_FILE,
    KnowledgeBase,
    Provider,
    from_interpreter,
    guess_distribution,
    load,
)
from modellint.analyzer.knowledge.layout import provided_modules, pth_roots
from modellint.analyzer.knowledge.stdlib import stdlib_modules
from tests.conftest import load_script

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load()


# ---------------------------------------------------------------------------- namespace depth


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("google.cloud.storage", "google-cloud-storage"),
        ("google.cloud.storage.blob", "google-cloud-storage"),
        ("google.protobuf", "protobuf"),
        ("google.protobuf.json_format", "protobuf"),
        ("google.rpc.status_pb2", "googleapis-common-protos"),
        ("google.api_core.exceptions", "google-api-core"),
        ("azure.storage.blob", "azure-storage-blob"),
        ("azure.storage.blob.aio", "azure-storage-blob"),
        ("azure.core.exceptions", "azure-core"),
        ("azure.identity", "azure-identity"),
        ("azureml.core", "azureml-core"),
        ("mpl_toolkits.mplot3d", "matplotlib"),
        ("ruamel.yaml", "ruamel-yaml"),
    ],
)
def test_namespace_modules_resolve_at_full_depth(kb, module, distribution):
    assert kb.providers(module)[0] == distribution
    assert kb.suggest(module) == distribution


def test_namespace_roots_are_not_owned_by_anyone(kb):
    assert "google" not in kb.top_level_modules("protobuf")
    assert kb.top_level_modules("protobuf") == ("google.protobuf",)
    assert "google.cloud.storage" in kb.top_level_modules("google-cloud-storage")
    assert kb.top_level_modules("azure-storage-blob") == ("azure.storage.blob",)
    assert kb.is_namespace("google") and kb.is_namespace("google.cloud") and kb.is_namespace("azure")
    # A bare namespace is filled by many distributions; none of them is *the* one to install.
    assert {"protobuf", "google-cloud-storage"} <= set(kb.providers("google"))
    assert kb.suggest("google") is None and kb.suggest("azure") is None


def test_provider_entries_carry_the_matched_prefix(kb):
    assert kb.provider_entries("google.cloud.storage.blob")[0] == Provider("google-cloud-storage", "google.cloud.storage")


# ---------------------------------------------------------------------------- multi-valued


def test_cv2_has_every_opencv_variant(kb):
    providers = kb.providers("cv2")
    for variant in ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"):
        assert variant in providers
    assert kb.suggest("cv2") == "opencv-python"


def test_pil_is_pillow_or_pillow_simd(kb):
    assert kb.providers("PIL")[:1] == ("pillow",)
    assert "pillow-simd" in kb.providers("PIL.Image")
    assert kb.suggest("PIL.Image") == "pillow"


def test_sklearn_is_scikit_learn_not_the_alias(kb):
    assert kb.providers("sklearn.ensemble")[0] == "scikit-learn"
    assert kb.suggest("sklearn") == "scikit-learn"
    assert kb.is_known("sklearn") and kb.is_squatter("sklearn")


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("yaml", "pyyaml"),
        ("dateutil.parser", "python-dateutil"),
        ("bs4", "beautifulsoup4"),
        ("attr", "attrs"),
        ("socks", "pysocks"),
        ("git", "gitpython"),
        ("dotenv", "python-dotenv"),
        ("jwt", "pyjwt"),
        ("grpc", "grpcio"),
        ("skimage", "scikit-image"),
        ("torch", "torch"),
        ("xgboost", "xgboost"),
        ("mlflow.pyfunc", "mlflow-skinny"),
    ],
)
def test_import_names_that_differ_from_the_distribution(kb, module, distribution):
    assert distribution in kb.providers(module)
    if module != "mlflow.pyfunc":  # mlflow is provided by three dists, any of which is fine
        assert kb.suggest(module) == distribution


@pytest.mark.parametrize("module", ["mysql.connector", "mysqlx", "_mysql_connector"])
def test_a_layout_read_from_an_sdist_over_eight_mebibytes(kb, module):
    # mysql-connector 2.2.9 ships a 12 MB sdist only; its layout was a guess (`mysql_connector`),
    # which made `import mysql.connector` a false ML201 for a model declaring it.
    assert "mysql-connector" in kb.providers(module) and not kb.layout_is_guess("mysql-connector")
    assert kb.suggest("mysql.connector") == "mysql-connector-python"  # still the most downloaded


def test_the_only_guessed_layout_left_is_a_project_pypi_no_longer_serves(kb):
    # Every other ranked distribution's wheel or sdist was read (scripts/build_knowledge.py reads
    # sdists of up to 64 MiB); transformers-mic's project page is gone (404).
    guessed = [name for name in kb._dists if kb.layout_is_guess(name)]
    assert guessed == ["transformers-mic"]


def test_mlflow_module_comes_with_each_mlflow_distribution(kb):
    assert {"mlflow", "mlflow-skinny"} <= set(kb.providers("mlflow"))


# ---------------------------------------------------------------------------- squatters


@pytest.mark.parametrize("module", ["src", "src.utils", "utils", "tests", "model", "sklearn", "cv", "socks", "attr", "cv2", "bs4"])
def test_squatters_are_never_suggested(kb, module):
    suggestion = kb.suggest(module)
    assert suggestion not in {"sklearn", "src", "cv", "socks", "attr", "bs4", "azure", "google", "utils"}
    if module.split(".")[0] in {"src", "utils", "tests", "model"}:
        assert suggestion is None


def test_unknown_module_has_no_suggestion(kb):
    assert kb.providers("surely_not_a_real_module_xyz") == ()
    assert kb.suggest("surely_not_a_real_module_xyz") is None


def test_guess_distribution_is_namespace_aware():
    assert guess_distribution("surely_not_real") == "surely-not-real"
    assert guess_distribution("Some_Thing.sub") == "some-thing"
    assert guess_distribution("google.cloud.surelynotreal.client") == "google-cloud-surelynotreal"
    assert guess_distribution("azure.mgmt.surelynotreal") == "azure-mgmt-surelynotreal"


# ---------------------------------------------------------------------------- dependencies


def test_yaml_is_provided_transitively_by_mlflow(kb):
    chains = kb.closure([("mlflow", frozenset())], (3, 11))
    assert chains["mlflow"] == ("mlflow",)
    assert chains["mlflow-skinny"] == ("mlflow", "mlflow-skinny")
    assert "pyyaml" in chains and chains["pyyaml"][0] == "mlflow" and chains["pyyaml"][-1] == "pyyaml"
    assert "scikit-learn" in chains  # mlflow brings scikit-learn ...


def test_sklearn_is_not_brought_by_mlflow_skinny(kb):
    chains = kb.closure([("mlflow-skinny", frozenset())], (3, 11))
    assert "pyyaml" in chains
    assert "scikit-learn" not in chains  # ... mlflow-skinny does not


def test_closure_accepts_unnormalised_names_and_unknown_dists(kb):
    chains = kb.closure([("PyYAML", frozenset()), ("surely-not-on-pypi-xyz", frozenset())], (3, 11))
    assert chains == {"pyyaml": ("pyyaml",), "surely-not-on-pypi-xyz": ("surely-not-on-pypi-xyz",)}


def test_markers_are_evaluated_per_python():
    data = {
        "build_date": "2000-01-01",
        "dists": {
            "pkg": ["1", 1, "w", ["pkg"], ['tomli>=1; python_version < "3.11"', "plain", 'win; sys_platform == "win32"', 'opt; extra == "x"'], ["x"], ""],
            "tomli": ["1", 2, "w", ["tomli"], [], [], ""],
            "plain": ["1", 3, "w", ["plain"], [], [], ""],
        },
    }
    small = KnowledgeBase(data)
    assert small.dependencies("pkg", python=(3, 10)) == ("plain", "tomli")
    assert small.dependencies("pkg", python=(3, 11)) == ("plain",)
    assert small.dependencies("pkg", ["X"], python=(3, 11)) == ("opt", "plain")
    assert "tomli" in small.closure([("pkg", frozenset())], (3, 9))
    assert "tomli" not in small.closure([("pkg", frozenset())], (3, 12))


def test_real_markers_depend_on_python(kb):
    # Some widely used distribution pulls a backport only on old Pythons.
    old = set(kb.dependencies("importlib-resources", python=(3, 8)))
    new = set(kb.dependencies("importlib-resources", python=(3, 12)))
    assert "zipp" in old and "zipp" not in new


# ---------------------------------------------------------------------------- extras


def test_requests_socks_extra_provides_socks(kb):
    assert "pysocks" in kb.extras("requests")["socks"]
    assert "pysocks" not in kb.dependencies("requests")
    chains = kb.closure([("requests", frozenset({"socks"}))], (3, 11))
    assert chains["pysocks"] == ("requests", "pysocks")
    assert "pysocks" in kb.providers("socks")


def test_pandas_excel_extra_brings_openpyxl(kb):
    assert "openpyxl" in kb.extras("pandas")["excel"]
    assert "openpyxl" in kb.closure([("pandas", frozenset({"excel"}))], (3, 11))
    assert "openpyxl" not in kb.closure([("pandas", frozenset())], (3, 11))


def test_self_referencing_extras_are_followed(kb):
    # pandas[all] lists pandas[excel]-style self references or the same deps: either way openpyxl.
    assert "openpyxl" in kb.closure([("pandas", frozenset({"all"}))], (3, 11))


# ---------------------------------------------------------------------------- stdlib


def test_stdlib_per_version():
    assert "tomllib" not in stdlib_modules((3, 10))
    assert "tomllib" in stdlib_modules((3, 11))
    assert "distutils" in stdlib_modules((3, 11))
    assert "distutils" not in stdlib_modules((3, 12))
    for gone in ("imp", "asynchat", "asyncore", "smtpd"):
        assert gone in stdlib_modules((3, 11)) and gone not in stdlib_modules((3, 12))
    for gone in ("cgi", "telnetlib", "imghdr", "lib2to3", "uu", "xdrlib", "pipes", "crypt"):
        assert gone in stdlib_modules((3, 12)) and gone not in stdlib_modules((3, 13))
    assert "dataclasses" not in stdlib_modules((3, 6)) and "dataclasses" in stdlib_modules((3, 7))
    assert "zoneinfo" in stdlib_modules((3, 9)) and "zoneinfo" not in stdlib_modules((3, 8))
    assert {"os", "sys", "json", "typing", "__future__"} <= stdlib_modules((3, 14))
    assert all("." not in name for name in stdlib_modules((3, 11)))


@pytest.mark.parametrize("minor", [11, 12, 13, 14])
def test_stdlib_change_tables_agree_with_stdlib_list(minor):
    derived = stdlib._derive_stdlib(stdlib_modules((3, minor - 1)), (3, minor - 1), (3, minor))
    assert derived == stdlib_modules((3, minor))


def test_stdlib_fills_gaps_in_stdlib_list_data():
    assert {"_json", "pyexpat", "_ctypes"} <= stdlib_modules((3, 9))
    assert "lib" not in stdlib_modules((3, 9))


def test_stdlib_matches_the_running_interpreter():
    ours = stdlib_modules(sys.version_info[:2])
    assert set(sys.stdlib_module_names) <= ours | {"__main__"}
    # A few private modules differ between point releases and platforms (`_apple_support` came
    # in 3.13.1, `_wmi` is Windows-only): knowing them as stdlib is harmless, missing one is not.
    extras = ours - set(sys.stdlib_module_names) - {"__main__", "xxsubtype"}
    assert len(extras) <= 3 and all(name.startswith("_") for name in extras), extras


def test_stdlib_beyond_the_data_derives_from_the_nearest_version():
    assert stdlib_modules((3, 15)) == stdlib_modules((3, 14))
    with pytest.raises(ValueError):
        stdlib_modules((2, 7))


# ---------------------------------------------------------------------------- data file and loader


def test_data_file_is_small_and_well_formed():
    assert DATA_FILE.stat().st_size < 5 * 1024 * 1024
    data = knowledge.parse_data(DATA_FILE.read_bytes())
    assert data["format"] == 3
    assert list(data["dists"]) == sorted(data["dists"], key=str.encode)
    assert list(data["modules"]) == sorted(data["modules"], key=str.encode)
    assert len(data["dists"]) >= 5000
    for name in data["dists"]:
        entry = data["dists"][name]
        assert name == knowledge.normalize(name)
        requires = entry[4].split("\t") if entry[4] else []
        assert entry[3] == sorted(entry[3]) and requires == sorted(requires)


def test_data_file_rejects_another_format():
    with pytest.raises(ValueError, match="format-3"):
        knowledge.parse_data(b'{"format": 1, "dists": {}}')
    with pytest.raises(ValueError, match="format-3"):
        knowledge.parse_data(b"modellint-knowledge\t2\n{}\n")


def test_build_script_round_trips_the_data_file(tmp_path):
    """The generator's writer and the loader agree: rewriting the shipped file changes no byte."""
    build_knowledge = load_script("build_knowledge")
    build_knowledge.write(build_knowledge.read_existing(DATA_FILE), tmp_path / "kb.tsv")
    assert (tmp_path / "kb.tsv").read_bytes() == DATA_FILE.read_bytes()


def test_sorted_lines_find_every_key_and_nothing_else():
    keys = ["a", "a-b", "a.b", "ab", "b", "google", "google.cloud", "google.cloud.storage", "zz", "é"]
    block = "".join(f"{key}\t{index}\n" for index, key in enumerate(sorted(keys, key=str.encode))).encode()
    raw = b"prefix line\n" + block
    lines = knowledge.SortedLines(raw, len(b"prefix line\n"), len(raw))
    assert list(lines) == sorted(keys, key=str.encode) and len(lines) == len(keys)
    for key in keys:
        assert key in lines and lines[key] == str(sorted(keys, key=str.encode).index(key))
    for missing in ["", "0", "a-", "aa", "google.", "google.c", "zzz", "prefix line", "{"]:
        assert missing not in lines and lines.get(missing) is None
    assert [key for key, _ in lines.with_prefix("google.")] == ["google.cloud", "google.cloud.storage"]
    assert list(lines.with_prefix("x")) == []


def test_sorted_lines_agree_with_a_dict_on_the_shipped_data():
    data = knowledge.parse_data(DATA_FILE.read_bytes())
    for table in (data["modules"], data["dists"]._lines):
        everything = {key: table[key] for key in table}  # iteration splits the block: the reference
        assert len(everything) == len(table)
        for key in list(everything)[::37]:
            assert table[key] == everything[key]
            assert key + "x" not in table or key + "x" in everything


def test_the_data_file_read_a_block_at_a_time_answers_as_its_bytes_do():
    """The shipped data read by ranges (blocks of lines, never mapped) gives every line, missing
    key and prefix run that the bytes in memory give, runs that go on across blocks included."""
    in_memory = knowledge.parse_data(DATA_FILE.read_bytes())
    from_file = knowledge.parse_data(knowledge.DataFile(DATA_FILE))
    for table in ("modules", "dists"):
        expected = in_memory[table] if table == "modules" else in_memory[table]._lines
        lines = from_file[table] if table == "modules" else from_file[table]._lines
        assert list(lines) == list(expected)
        for key in expected:
            assert lines[key] == expected[key] and key + "\x01" not in lines
        prefixes = {key.rpartition(".")[0] + "." for key in expected if "." in key} | {"a", "zz", "\x7f", ""}
        for prefix in sorted(prefixes):
            assert list(lines.with_prefix(prefix)) == list(expected.with_prefix(prefix)), prefix


def test_sorted_lines_of_a_file_with_lines_longer_than_a_read(tmp_path, monkeypatch):
    monkeypatch.setattr(knowledge, "_PROBE_BYTES", 4)
    monkeypatch.setattr(knowledge, "_BLOCK_BYTES", 8)
    keys = sorted(["a", "a.b", "a.b.c", "a.c", "b", "c" * 50, "d", "e.f", "é"], key=str.encode)
    block = "".join(f"{key}\t{'v' * (index * 7)}\n" for index, key in enumerate(keys)).encode()
    path = tmp_path / "data"
    path.write_bytes(b"head\n" + block)
    lines = knowledge.SortedLines(knowledge.DataFile(path), len(b"head\n"), len(b"head\n") + len(block))
    assert list(lines) == keys
    for index, key in enumerate(keys):
        assert lines[key] == "v" * (index * 7)
    for missing in ["", "0", "a.", "aa", "c", "zzz", "head"]:
        assert lines.get(missing) is None
    assert [key for key, _ in lines.with_prefix("a.")] == ["a.b", "a.b.c", "a.c"]
    empty = knowledge.SortedLines(knowledge.DataFile(path), len(b"head\n"), len(b"head\n"))
    assert empty.get("a") is None and list(empty.with_prefix("a")) == [] and list(empty) == []


def test_build_date_is_recorded(kb):
    assert len(kb.build_date) == 10 and kb.build_date[4] == "-"


def test_load_is_a_cached_singleton(kb):
    assert load() is kb


def test_loader_is_deterministic(kb):
    data = knowledge.parse_data(DATA_FILE.read_bytes())
    names = list(data["dists"])
    random.Random(7).shuffle(names)
    shuffled = dict(data, dists={n: data["dists"][n] for n in names})
    other = KnowledgeBase(shuffled)
    for module in ("cv2", "PIL", "google", "yaml", "mlflow", "google.cloud", "tests"):
        assert other.providers(module) == kb.providers(module)
        assert other.suggest(module) == kb.suggest(module)
    assert other.closure([("mlflow", frozenset())], (3, 11)) == kb.closure([("mlflow", frozenset())], (3, 11))


def test_load_is_fast():
    knowledge._read_data.cache_clear()
    started = time.perf_counter()
    KnowledgeBase(knowledge._read_data())
    assert time.perf_counter() - started < 1.0  # tens of ms on a laptop; generous for noisy CI


# ---------------------------------------------------------------------------- layout from file names


def test_layout_namespace_depth_and_file_kinds():
    files = [
        ("google/cloud/storage/__init__.py", 100),
        ("google/cloud/storage/blob.py", 100),
        ("google/cloud/_helpers.py", 100),
        ("foo.py", 10),
        ("_speedups.cpython-311-x86_64-linux-gnu.so", 10),
        ("_abi.abi3.so", 10),
        ("win.pyd", 10),
        ("pkg/__init__.py", 10),
        ("pkg/sub/__init__.py", 10),
        ("pkg-1.0.dist-info/METADATA", 10),
        ("pkg-1.0.data/purelib/purepkg/__init__.py", 10),
        ("pkg-1.0.data/scripts/tool.py", 10),
        ("numpy.libs/libopenblas.so", 10),
        ("setup.py", 10),
        ("datadir/readme.txt", 10),
        ("pkg/__pycache__/x.cpython-311.pyc", 10),
        ("types_only-stubs/__init__.pyi", 10),
    ]
    assert provided_modules(files) == [
        "_abi",
        "_speedups",
        "foo",
        "google.cloud._helpers",
        "google.cloud.storage",
        "pkg",
        "purepkg",
        "win",
    ]


def test_layout_legacy_namespace_init_is_a_namespace():
    files = [("zope/__init__.py", 60), ("zope/interface/__init__.py", 900), ("zope-1.dist-info/RECORD", 1)]
    content = {"zope/__init__.py": b"__import__('pkg_resources').declare_namespace(__name__)\n"}
    assert provided_modules(files, read=content.get) == ["zope.interface"]
    assert provided_modules(files, namespace_packages=["zope"]) == ["zope.interface"]
    assert provided_modules(files) == ["zope"]  # no way to tell without reading it


def test_layout_pth_directories_become_roots():
    assert pth_roots(b"# comment\nimport foo; foo.install()\nlibdir\n/abs/path\n../escape\n") == ["libdir"]
    files = [("extra.pth", 7), ("libdir/hidden.py", 10)]
    assert "hidden" in provided_modules(files, extra_roots=["libdir"])


# ---------------------------------------------------------------------------- overlay


def test_overlay_with_the_test_interpreter(kb):
    overlay = from_interpreter(sys.executable)
    assert overlay.python == tuple(sys.version_info[:2])
    assert "pytest" in overlay.distributions
    assert "yaml" in overlay.distributions["pyyaml"][1]
    assert "pytest" in overlay.packages_distributions.get("_pytest", ())
    merged = kb.with_overlay(overlay)
    assert merged.version("pytest") == overlay.distributions["pytest"][0]
    assert "pytest" in merged.providers("_pytest")
    assert merged.providers("google.cloud.storage") == kb.providers("google.cloud.storage")
    assert load() is kb and kb.overlay is None  # the shipped knowledge is left alone


def test_overlay_reports_a_broken_interpreter(tmp_path):
    with pytest.raises(knowledge.OverlayError):
        from_interpreter(tmp_path / "no-such-python")


def test_layout_is_stdlib_only():
    # layout is shipped as source into the other interpreter: it must stay stdlib-only.
    source = knowledge.Path(knowledge.__file__).with_name("layout.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all(line.split()[1].split(".")[0] in {"__future__", "re", "typing"} for line in imports), imports


# ---------------------------------------------------------------------------- recorded markers


def test_recorded_markers_give_the_closures_packaging_gives(kb):
    """The data file's marker table answers exactly what evaluating each marker would."""
    data = knowledge._read_data()
    evaluated = KnowledgeBase({**data, "markers": {}})
    ranked = sorted(kb.distributions(), key=lambda name: (kb.download_rank(name) or 10**9, name))[:400]
    for python in ((3, 8), (3, 11), (3, 14)):
        for name in ranked:
            assert kb.dependencies(name, (), python) == evaluated.dependencies(name, (), python), (name, python)
    for name in ranked[:200]:  # each extra on its own, and all of them at once
        extras = kb.extras(name, (3, 11))
        for requested in [(extra,) for extra in extras] + [tuple(extras)]:
            for python in ((3, 9), (3, 12)):
                expected = evaluated.dependencies(name, requested, python)
                assert kb.dependencies(name, requested, python) == expected, (name, requested, python)


def test_the_marker_table_is_what_the_build_script_records():
    build_knowledge = load_script("build_knowledge")
    data = knowledge._read_data()
    requires = [knowledge._requires(data["dists"][name]) for name in data["dists"]]
    assert data["marker_pythons"] == list(knowledge.MARKER_PYTHONS)
    assert data["markers"] == build_knowledge.marker_table(requires)


def test_no_marker_is_parsed_for_a_plain_closure():
    """Closures of the usual MLflow requirements use the table: packaging.markers stays unloaded."""
    import subprocess

    probe = ("import sys\nfrom modellint.analyzer.knowledge.distributions import load\n"
             "load().closure([('mlflow', frozenset()), ('scikit-learn', frozenset()), ('torch', frozenset()),"
             " ('transformers', frozenset())], (3, 11))\n"
             "print('packaging.markers' in sys.modules, 'packaging.requirements' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    assert result.stdout.split() == ["False", "False"]
