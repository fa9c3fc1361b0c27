"""The per-release Requires-Dist and layout data: its format round-trips, an unrecorded release
inherits only where the data says it may, and an exact pin is judged by its own release, checked
against every release the shipped data records (not hand-picked ones) plus the named cases of
issue 18 (langchain 0.1 and langchain-community, pkg_resources leaving setuptools, keras and
tensorflow)."""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

import pytest
from packaging.version import Version

from modellint.analyzer.environment.declared import DeclaredEnvironment
from modellint.analyzer.environment.requirements import parse_requirements_text
from modellint.analyzer.knowledge.distributions import load, marker_environment
from modellint.analyzer.knowledge.release_requires import (
    DistributionRequires,
    ReleaseRequiresData,
    encode_block,
    release_requires,
)

PYTHON = (3, 11)


def block(releases: dict) -> DistributionRequires:
    return DistributionRequires("demo", encode_block(releases, {}))


DEMO = {
    "1.0.0": (["a>=1"], ["demo"]),
    "1.0.9": (["a>=1"], ["demo"]),
    "1.1.0": (["a>=2", "b; extra == 'x'"], ["demo", "demo_extra"]),
    "1.1.5": (["a>=3"], ["demo"]),
    "2.0.0": None,
    "2.0.4": (["a>=3"], ["demo"]),
}


def test_a_block_round_trips_and_dedupes():
    text = encode_block(DEMO, {})
    assert text.count("\nr\t") + text.startswith("r\t") == 3  # three distinct Requires-Dist sets
    assert text.count("\nl\t") == 2
    releases = block(DEMO)
    assert releases.versions == tuple(DEMO)
    facts = releases.find("1.1.0")
    assert facts is not None and facts.requires == ("a>=2", "b; extra == 'x'") and facts.modules == ("demo", "demo_extra")
    assert releases.find("2.0.0") is None  # recorded, but its wheel could not be read


@pytest.mark.parametrize(("version", "inherits_from"), [
    ("1.0.3", "1.0.0"),  # between two recorded releases of its series with the same facts
    ("1.0", "1.0.0"),  # spelled another way
    ("1.1.2", None),  # its series' recorded releases differ
    ("1.0.10", None),  # past the series' last recorded release
    ("1.0.4rc1", None),  # a pre-release is never inherited
    ("2.0.2", None),  # next to a release that could not be read
    ("0.9", None),
    ("not a version", None),
])
def test_an_unrecorded_release_inherits_only_inside_a_series(version, inherits_from):
    facts = block(DEMO).find(version)
    assert (facts.recorded_as if facts else None) == inherits_from
    if facts is not None:
        assert facts.version == version


def test_provides_covers_submodules_and_namespace_parents():
    facts = block({"1.0": ([], ["google.cloud.storage", "six"])}).find("1.0")
    assert facts is not None
    assert facts.provides("six") and facts.provides("google.cloud.storage.blob")
    assert facts.provides("google.cloud") and facts.provides("google")
    assert not facts.provides("google.cloud.bigquery") and not facts.provides("sixer")


def test_the_data_file_reads_one_block_at_a_time(tmp_path: Path):
    blocks = {"alpha": encode_block({"1.0": (["b"], ["alpha"])}, {}), "beta": encode_block({"2.0": ([], ["beta"])}, {})}
    index, data, offset = [], b"", 0
    for name, text in blocks.items():
        compressed = zlib.compress(text.encode())
        index.append(f"{name}\t{offset}\t{len(compressed)}\n")
        data += compressed
        offset += len(compressed)
    index_bytes = "".join(index).encode()
    path = tmp_path / "rr.dat"
    path.write_bytes(b'{"format": 1, "index_bytes": %d}\n' % len(index_bytes) + index_bytes + data)
    reader = ReleaseRequiresData(path)
    assert "beta" in reader and "gamma" not in reader
    facts = reader.find("alpha", "1.0")
    assert facts is not None and facts.requires == ("b",)
    assert reader.find("gamma", "1.0") is None


# --- the shipped data --------------------------------------------------------------------------


@cache
def recorded() -> list[tuple[str, str]]:
    """Every (distribution, version) the shipped data reads, oldest recorded release of each
    distribution first: the releases most unlike the newest, whose facts the knowledge base has."""
    data = release_requires()
    found = []
    for name in data.distributions():
        releases = data.get(name)
        assert releases is not None
        known = [version for version in releases.versions if releases.find(version) is not None]
        found += [(name, version) for version in known[:1]]
    return found


def test_the_shipped_data_covers_what_models_pin():
    data = release_requires()
    assert data.header["format"] == 1 and data.header["releases"] > 3000
    for name in ("langchain", "pandas", "numpy", "scikit-learn", "tensorflow", "torch", "setuptools", "mlflow"):
        assert name in data, name
    assert len(recorded()) > 400


def environment(*lines: str) -> DeclaredEnvironment:
    requirements = parse_requirements_text("\n".join(lines) + "\n", Path("requirements.txt"))
    return DeclaredEnvironment(requirements.lines, PYTHON, load())


def _unconditional(requires: tuple[str, ...]) -> set[str]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    names = set()
    for line in requires:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(marker_environment(PYTHON)):
            names.add(canonicalize_name(requirement.name))
    return names


def test_an_exact_pin_installs_what_its_own_release_requires():
    for name, version in recorded():
        facts = release_requires().find(name, version)
        assert facts is not None
        installed = environment(f"{name}=={version}").installed
        direct = {chain[1] for chain in installed.values() if len(chain) == 2}
        assert direct == _unconditional(facts.requires) - {name}, f"{name}=={version}"


def test_an_exact_pin_provides_the_modules_of_its_own_release():
    kb = load()
    for name, version in recorded():
        facts = release_requires().find(name, version)
        assert facts is not None
        declared = environment(f"{name}=={version}")
        for module in facts.modules:
            provision = declared.provision(module)
            assert provision is not None, f"{name}=={version}: {module}"
        for module in set(kb.top_level_modules(name)) - set(facts.modules):
            provision = declared.provision(module)
            if provision is not None and not facts.provides(module):  # another installed distribution brings it
                assert provision.chain != (name,), f"{name}=={version} provides {module}"


def test_a_pin_the_data_does_not_know_keeps_the_newest_release():
    assert environment("langchain==0.0.0.dev999").installed == environment("langchain").installed


# --- the named cases -----------------------------------------------------------------------------


def test_langchain_0_1_brings_langchain_community():
    old = environment("langchain==0.1.20")
    assert old.installed["langchain-community"] == ("langchain", "langchain-community")
    provision = old.provision("langchain_community.llms")
    assert provision is not None and provision.chain == ("langchain", "langchain-community")
    assert environment("langchain").provision("langchain_community") is None  # the newest does not


def _setuptools_with_and_without_pkg_resources() -> tuple[str, str]:
    """The last recorded setuptools release that ships pkg_resources and the first that does not,
    read from the data: pkg_resources left once and never came back."""
    releases = release_requires().get("setuptools")
    assert releases is not None
    verdicts = [(Version(v), facts.provides("pkg_resources")) for v in releases.versions
                if (facts := releases.find(v)) is not None]
    verdicts.sort()
    flips = [i for i in range(1, len(verdicts)) if verdicts[i][1] != verdicts[i - 1][1]]
    assert len(flips) == 1 and verdicts[0][1], verdicts
    return str(verdicts[flips[0] - 1][0]), str(verdicts[flips[0]][0])


def test_pkg_resources_is_judged_by_the_pinned_setuptools():
    last_with, first_without = _setuptools_with_and_without_pkg_resources()
    assert Version(first_without) > Version("80")
    assert environment(f"setuptools=={last_with}").provision("pkg_resources") is not None
    assert environment(f"setuptools=={first_without}").provision("pkg_resources") is None
    assert environment(f"setuptools=={first_without}").release_lacks("setuptools", "pkg_resources")


def _tensorflow(requirement: str) -> list[str]:
    """Releases of tensorflow the data records whose unconditional requirements on Python 3.11
    (3.8 for the oldest: no cp311 wheel) do or do not name ``requirement``."""
    releases = release_requires().get("tensorflow")
    assert releases is not None
    return [v for v in releases.versions if (facts := releases.find(v)) is not None
            and requirement in _unconditional(facts.requires)]


def test_keras_comes_with_a_tensorflow_release_that_requires_a_keras():
    # tensorflow 2.0-2.4 shipped its own keras (tensorflow.keras) and required none, 2.5 required
    # keras-nightly, 2.6 and later keras: `import keras` works exactly where the release requires one.
    keras = set(load().providers("keras"))
    releases = release_requires().get("tensorflow")
    assert releases is not None
    judged = {True: 0, False: 0}
    for version in releases.versions:
        facts = releases.find(version)
        if facts is None:
            continue
        requires_keras = bool(_unconditional(facts.requires) & keras)
        judged[requires_keras] += 1
        assert (environment(f"tensorflow=={version}").provision("keras") is not None) is requires_keras, version
        assert environment(f"tensorflow=={version}").provision("tensorflow.keras") is not None
    assert judged[True] and judged[False]
    assert environment("tensorflow==2.12.0").installed["keras"] == ("tensorflow", "keras")


def test_tf_keras_never_comes_with_tensorflow():
    assert _tensorflow("tf-keras") == []
    releases = release_requires().get("tensorflow")
    assert releases is not None
    for version in releases.versions:
        if releases.find(version) is not None:
            assert environment(f"tensorflow=={version}").provision("tf_keras") is None, version


def test_mlflow_langchain_test_model_gets_no_error(tmp_path):
    # MLflow's example_mlflow_2.12_langchain_model: `langchain==0.1.20` and `import langchain_community`.
    # Installed through langchain (ML207 advises declaring it), never reported missing.
    from modellint.findings import Severity
    from modellint.rules._base import Valid
    from modellint.rules._code_examples import code_model
    from tests.rules.run_examples import run_all, write_example

    case = Valid(code_model({"chain.py": "from langchain_community.llms import FakeListLLM\n"}, "langchain==0.1.20"))
    findings = list(run_all(write_example(tmp_path, case), case))
    assert [f.message for f in findings if f.severity is Severity.ERROR] == []
    assert len([f for f in findings if f.severity is Severity.WARNING]) == 1


def _eager(text: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], dict[str, str]] | None]:
    """Every release of a block, read line by line the plain way: the reference the on-demand
    reader must agree with."""
    requires: list[tuple[str, ...]] = []
    layouts: list[tuple[str, ...]] = []
    markers: dict[str, str] = {}
    rows = []
    for line in text.split("\n"):
        kind, _, rest = line.partition("\t")
        if kind == "r":
            requires.append(tuple(rest.split("\t")) if rest else ())
        elif kind == "l":
            layouts.append(tuple(rest.split(" ")) if rest else ())
        elif kind == "m":
            condition, _, bits = rest.rpartition("\t")
            markers[condition] = bits
        elif kind == "v":
            rows.append(rest.split("\t"))
    return {version: None if required == "?" else (requires[int(required)], layouts[int(layout)], markers)
            for version, required, layout in rows}


def test_the_on_demand_reader_agrees_with_a_plain_reading_of_every_block():
    data = release_requires()
    raw = data._path.read_bytes()
    for name in data.distributions():
        offset, length = (int(field) for field in data._index[name].split("\t"))
        start = data._blocks_start + offset
        expected = _eager(zlib.decompress(raw[start:start + length]).decode())
        releases = DistributionRequires(name, zlib.decompress(raw[start:start + length]).decode())
        assert releases.versions == tuple(expected), name
        for version, facts in expected.items():
            found = releases.find(version)
            if facts is None:
                assert found is None, (name, version)
            else:
                assert found is not None and (found.requires, found.modules, dict(found.markers)) == facts, (name, version)
    assert DistributionRequires("demo", "r\tx\nl\tx\nv\t1.0\t0\t0").find("1.0\t0") is None  # no field injection
