"""conda-forge's python builds and package names (``knowledge/conda_forge.py``), and the conda env
facts ML511/ML512 read from them (``environment/conda_channels.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from modellint.analyzer.environment.conda_channels import (
    channel_name,
    conda_forge_only,
    unbuilt_python,
    unserved_packages,
    version_matcher,
)
from modellint.analyzer.environment.requirements import conda_env_from_yaml
from modellint.analyzer.knowledge.conda_forge import (
    conda_forge_names,
    conda_forge_python,
    judged_name,
    names_snapshot,
    python_snapshot,
)
from modellint.analyzer.yamlfile import parse_yaml


def _env(text: str):
    return conda_env_from_yaml(parse_yaml(text), Path("conda.yaml"))


def _forge(*dependencies: str, channels: str = "[conda-forge]") -> str:
    return f"channels: {channels}\ndependencies:\n" + "".join(f"- {dependency}\n" for dependency in dependencies)


# --- the data ----------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["2.7.15", "3.6.15", "3.7.10", "3.7.12", "3.8.8", "3.8.10", "3.9.2", "3.9.4",
                                     "3.10.0", "3.12.13", "3.13.5", "3.14.6"])
def test_versions_conda_forge_built(version):
    assert version in conda_forge_python().versions


@pytest.mark.parametrize("version", [
    "3.8.7", "3.8.9", "3.8.11",  # never built (3.8.7's recipe is on an unmerged pull request only)
    "3.7.13", "3.7.16",  # the 3.7 branch stops at 3.7.12; later updates were never merged
    "3.9.3", "3.9.8", "3.13.4",  # replaced upstream within days
    "3.15.0",  # pre-releases only, which go to the python_rc label
])
def test_versions_conda_forge_never_built(version):
    assert version not in conda_forge_python().versions


def test_the_names_are_conda_forge_outputs_as_written():
    names = conda_forge_names()
    for name in ("python", "pip", "numpy", "scikit-learn", "libgcc-ng", "_libgcc_mutex", "mkl_fft", "py-xgboost",
                 "cudatoolkit", "pytorch"):
        assert name in names, name
    for name in ("numpy-base", "pytorch-cuda", "_tflow_select", "mkl-fft-not-a-package"):
        assert name not in names, name


def test_msys2_copies_are_not_judged():
    assert not judged_name("m2w64-gcc-libs") and not judged_name("msys2-conda-epoch")
    assert judged_name("numpy-base")


def test_the_snapshot_dates_are_the_source_commits():
    assert python_snapshot() == "2026-06-12" == conda_forge_python().snapshot_date
    assert names_snapshot() == "2026-08-22"
    assert conda_forge_python().header["commit"].startswith("df31527a")
    assert conda_forge_names().header["commit"].startswith("31c6779bb4")


# --- match specs -------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, matching, other", [
    ("=3.9.3", ["3.9.3"], ["3.9.30", "3.9.4", "3.9"]),
    ("=3.9", ["3.9.0", "3.9.25"], ["3.10.0", "3.8.9"]),
    ("3.9.3", ["3.9.3"], ["3.9.4"]),
    ("==3.9", ["3.9.0"], ["3.9.1"]),
    ("3.9.*", ["3.9.0", "3.9.7"], ["3.10.0"]),
    (">=3.8,<3.9", ["3.8.0", "3.8.20"], ["3.9.0", "3.7.12"]),
    ("3.8.7|3.8.8", ["3.8.7", "3.8.8"], ["3.8.9"]),
    ("!=3.8.7", ["3.8.8"], ["3.8.7"]),
    ("=3.10.8=h257c98d_0_cpython", ["3.10.8"], ["3.10.9"]),
    ("3.10.8 h257c98d_0_cpython", ["3.10.8"], ["3.10.9"]),
])
def test_conda_version_specs(spec, matching, other):
    matcher = version_matcher(spec)
    assert matcher is not None
    key = lambda version: tuple(int(part) for part in version.split("."))  # noqa: E731
    assert all(matcher(key(version)) for version in matching)
    assert not any(matcher(key(version)) for version in other)


@pytest.mark.parametrize("spec", ["", "~=3.9", ">=3.9a1", "3.9.*.*", "==3.9.1=h1", "=" + "9" * 500, "3.9|>=x"])
def test_specs_the_reader_does_not_know_are_not_judged(spec):
    assert version_matcher(spec) is None


# --- channels ----------------------------------------------------------------------------------

@pytest.mark.parametrize("channel, name", [
    ("conda-forge", "conda-forge"), (" Conda-Forge/ ", "conda-forge"),
    ("https://conda.anaconda.org/conda-forge", "conda-forge"), ("conda.anaconda.org/conda-forge/", "conda-forge"),
    ("https://conda.anaconda.org/conda-forge/label/python_rc", "https://conda.anaconda.org/conda-forge/label/python_rc"),
    ("defaults", "defaults"),
])
def test_channel_names(channel, name):
    assert channel_name(channel) == name


@pytest.mark.parametrize("channels, judged", [
    ("[conda-forge]", True), ("[conda-forge, nodefaults]", True), ("[nodefaults, 'https://conda.anaconda.org/conda-forge']", True),
    ("[]", False), ("[nodefaults]", False), ("[conda-forge, defaults]", False), ("[conda-forge, bioconda]", False),
    ("[conda-forge, 'https://pkgs.acme.example/conda']", False), ("[conda-forge/label/python_rc]", False),
])
def test_only_conda_forge_channels_are_judged(channels, judged):
    assert conda_forge_only(_env(_forge("python=3.9.3", channels=channels))) is judged


# --- the facts -----------------------------------------------------------------------------------

def test_an_unbuilt_python_names_its_nearest_builds_and_minor():
    unbuilt = unbuilt_python(_env(_forge("python=3.9.3", "pip")))
    assert unbuilt is not None
    assert (unbuilt.below, unbuilt.above, unbuilt.minor, unbuilt.spec.span.line) == ("3.9.2", "3.9.4", "3.9", 3)


def test_a_minor_conda_forge_never_built_has_no_minor():
    unbuilt = unbuilt_python(_env(_forge("python=3.3.7")))
    assert unbuilt is not None and unbuilt.minor is None and unbuilt.below == "2.7.15" and unbuilt.above == "3.4.5"


@pytest.mark.parametrize("spec", ["python=3.9", "python>=3.9.3,<3.9.5", "python", "python=3.10.8=h257c98d_0_cpython",
                                  "defaults::python=3.9.3", "python ~=3.9.3"])
def test_pythons_that_match_a_build_or_are_not_judged(spec):
    assert unbuilt_python(_env(_forge(spec))) is None


def test_a_range_no_build_matches_has_no_nearest():
    unbuilt = unbuilt_python(_env(_forge("python>=3.8.7,<3.8.8")))
    assert unbuilt is not None and (unbuilt.below, unbuilt.above, unbuilt.minor) == (None, None, None)


def test_unserved_packages_are_judged_by_name_and_channel_prefix():
    env = _env(_forge("python=3.11.7", "numpy-base=1.26", "pytorch::pytorch-cuda=12.1", "conda-forge::_tflow_select",
                      "m2w64-gcc-libs", "nomkl", "pip", "libgcc-ng"))
    assert [unserved.spec.name for unserved in unserved_packages(env)] == ["numpy-base", "_tflow_select"]


def test_no_package_is_judged_when_another_channel_is_listed():
    env = _env(_forge("numpy-base=1.26", channels="[conda-forge, defaults]"))
    assert list(unserved_packages(env)) == []


def test_an_unbuilt_python_keeps_each_env_s_own_spec_when_the_answer_is_shared():
    first = unbuilt_python(_env(_forge("python=3.9.3", "pip")))
    second = unbuilt_python(_env(_forge("pip", "numpy", "python=3.9.3")))
    assert first is not None and second is not None
    assert (first.spec.span.line, second.spec.span.line) == (3, 5)
    assert (second.below, second.above, second.minor) == (first.below, first.above, first.minor)
