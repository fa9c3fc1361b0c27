"""The PyPI project-name set (ML509's data), the advisory data and its OSV range semantics (ML510's),
the facts the two rules read, and the snapshot dates ``modellint --version`` prints."""

from __future__ import annotations

import datetime
import random
import string
from pathlib import Path

import pytest
from packaging.version import Version

from modellint import lint
from modellint.analyzer.environment.requirements import parse_requirements_text
from modellint.analyzer.environment.serving_platform import ServingPlatform
from modellint.analyzer.environment.unindexed_requirements import unindexed_requirements
from modellint.analyzer.environment.vulnerable_pins import vulnerable_pins
from modellint.analyzer.knowledge import pypi_names, snapshots
from modellint.analyzer.knowledge.advisories import Advisory, advisory_data, affected_by_ranges, parse_advisory
from modellint.analyzer.knowledge.distributions import load
from modellint.analyzer.knowledge.serving_irrelevant_advisories import serving_irrelevant, serving_irrelevant_table
from modellint.rules._examples import CLEAN_PIP
from modellint.rules._release_examples import with_requirements
from tests.conftest import write_files

TARGET = ServingPlatform((3, 11, 7))


# ----------------------------------------------------------------------------- the name set


def test_encoded_set_finds_every_name_and_few_others(tmp_path: Path):
    rng = random.Random(7)
    names = {"".join(rng.choice(string.ascii_lowercase) for _ in range(10)) for _ in range(5000)}
    path = tmp_path / "names.gcs"
    path.write_bytes(pypi_names.encode(names, rice_bits=8, block=64, header={"snapshot": "2026-11"}))
    stored = pypi_names.PypiNames(path)
    assert stored.snapshot == "2026-11"
    assert all(name in stored for name in names)
    others = ["x" + "".join(rng.choice(string.ascii_lowercase) for _ in range(12)) for _ in range(20000)]
    false_hits = sum(name in stored for name in others)
    assert false_hits < 20000 * 3 / 256  # the rate is about 2 ** -rice_bits


def test_a_remembered_answer_is_the_decoded_one_and_the_memory_is_bounded(tmp_path: Path, monkeypatch):
    rng = random.Random(11)
    names = sorted({"".join(rng.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(3000)})
    path = tmp_path / "names.gcs"
    path.write_bytes(pypi_names.encode(set(names), rice_bits=8, block=64, header={"snapshot": "2026-11"}))
    stored = pypi_names.PypiNames(path)
    monkeypatch.setattr(pypi_names, "_MAX_REMEMBERED_ANSWERS", 100)
    asked = names[:150] + ["y" + name for name in names[:150]]
    for _ in range(2):
        assert [name in stored for name in asked] == [stored._contains(name) for name in asked]
        assert len(stored._answers) <= 100
    long = "z" * (pypi_names._MAX_REMEMBERED_NAME + 1)
    assert (long in stored) is stored._contains(long) and long not in stored._answers


def test_shipped_set_knows_pypi_projects_and_not_others():
    names = pypi_names.pypi_names()
    assert all(name in names for name in ("numpy", "scikit-learn", "mlflow", "0-0-1"))
    # a private package a real model names (uv: "py-tidymodels was not found in the package registry")
    assert "py-tidymodels" not in names
    assert pypi_names.snapshot() == names.snapshot and len(names.snapshot) == len("2026-11")
    assert names.header["count"] > 800_000


# ----------------------------------------------------------------------------- unindexed requirements


def _lists(text: str, name: str = "requirements.txt"):
    return [parse_requirements_text(text, Path(name))]


def _unindexed(text: str) -> list[str]:
    return [found.name for found in unindexed_requirements(_lists(text), TARGET, load())]


def test_a_plain_name_pypi_lacks_is_unindexed():
    assert _unindexed("numpy==2.3.5\nacme-features==1.4.0\nAcme_Features\n") == ["acme-features", "acme-features"]


@pytest.mark.parametrize("option", ["--extra-index-url https://pypi.acme.example/simple",
                                    "-i https://pypi.acme.example/simple", "--index-url=https://pypi.acme.example",
                                    "--find-links wheels/", "--no-index", "-r private.txt", "-c constraints/c.txt"])
def test_another_index_or_an_unseen_file_leaves_the_model_unjudged(option: str):
    assert _unindexed(f"{option}\nacme-features==1.4.0\n") == []


def test_the_models_own_requirements_file_included_is_seen():
    conda_pip = parse_requirements_text("-r requirements.txt\nacme-features==1.4.0\n", Path("conda.yaml"))
    found = unindexed_requirements([None, conda_pip], TARGET, load())
    assert [item.name for item in found] == ["acme-features"]


def test_urls_markers_and_declared_private_distributions_are_not_judged():
    assert _unindexed("acme-features @ https://pypi.acme.example/acme_features-1.4.0.tar.gz\n"
                      "acme-features @ git+https://git.acme.example/acme-features.git\n"
                      'acme-features==1.4.0; sys_platform == "win32"\n') == []
    from modellint.analyzer.environment.environment_settings import EnvironmentSettings

    knowledge = load().configured(EnvironmentSettings(module_distributions=(("acme", "acme-features"),)))
    assert list(unindexed_requirements(_lists("acme-features==1.4.0\n"), TARGET, knowledge)) == []


def test_module_distributions_silences_ml509(tmp_path: Path):
    root = write_files(tmp_path / "m", with_requirements(*CLEAN_PIP, "acme-features==1.4.0"))
    codes = [finding.code for finding in lint(root, select=["ML509"]).findings]
    assert codes == ["ML509", "ML509"]
    assert lint(root, select=["ML509"], module_distributions={"acme": "acme-features"}).findings == []


# ----------------------------------------------------------------------------- advisories


@pytest.mark.parametrize(("events", "affected", "unaffected"), [
    ((("i", "0"), ("f", "1.2.0")), ["0.1", "1.1.9", "1.2.0rc1"], ["1.2.0", "2.0"]),
    ((("i", "1.0"), ("f", "1.1"), ("i", "2.0"), ("f", "2.0.3")), ["1.0", "2.0.2"], ["0.9", "1.1", "1.5", "2.0.3"]),
    ((("i", "0"), ("l", "3.1")), ["3.1", "0.5"], ["3.1.1"]),
    ((("i", "2.0"),), ["2.0", "9.0"], ["1.9"]),
])
def test_osv_ranges(events, affected, unaffected):
    assert all(affected_by_ranges(Version(version), [events]) for version in affected)
    assert not any(affected_by_ranges(Version(version), [events]) for version in unaffected)


def test_advisory_lines_and_fixes():
    advisory = parse_advisory("PYSEC-1\tCVE-1,GHSA-x\ti0 f1.15.4|i2.0.0 f2.0.3\t0.0.9rc1\tA summary")
    assert advisory == Advisory("PYSEC-1", ("CVE-1", "GHSA-x"), ((("i", "0"), ("f", "1.15.4")),
                                                                 (("i", "2.0.0"), ("f", "2.0.3"))), ("0.0.9rc1",),
                                "A summary")
    assert advisory.fixed_in(Version("2.0.1")) == Version("2.0.3")
    assert advisory.fixed_in(Version("1.2")) == Version("1.15.4")
    assert advisory.affects(Version("0.0.9rc1")) and not advisory.affects(Version("2.1"))


def test_shipped_advisories():
    data = advisory_data()
    assert data.snapshot_date == "2024-10-10" and "mlflow" in data and "acme-features" not in data
    ids = {advisory.id for advisory in data.get("mlflow")}
    assert "PYSEC-2022-28" in ids  # CVE-2022-0736, fixed in 1.23.1
    assert data.get("acme-features") == ()


def _vulnerable(text: str) -> list[tuple[str, str, str | None, int]]:
    return [(pin.name, pin.version, pin.fixed, len(pin.advisories)) for pin in vulnerable_pins(_lists(text), TARGET)]


def test_vulnerable_pins_name_the_release_that_fixes_them_all():
    assert _vulnerable("numpy==1.16.0\npillow==9.0.0\ntorch==1.13.0+cpu\n") == [
        ("numpy", "1.16.0", "1.19.1", 3), ("pillow", "9.0.0", "10.0.1", 4), ("torch", "1.13.0+cpu", "1.13.1", 1)]
    # an advisory naming a development release as the fix: the next final release is pinned
    assert _vulnerable("scikit-learn==0.22.1\n") == [("scikit-learn", "0.22.1", "0.24.0", 2)]


def test_pins_other_rules_own_or_that_let_pip_choose_are_not_judged():
    assert _vulnerable("scipy==0.0\n"  # ML104's placeholder
                       "pillow==9.0.99\n"  # no such release: ML503's
                       "pillow==9.0.*\npillow>=9.0\npillow<9.1\n") == []


def test_mlflow_pin_across_minor_series_gets_no_fix(tmp_path: Path):
    pins = tuple(pin for pin in CLEAN_PIP if not pin.startswith("mlflow=="))
    root = write_files(tmp_path / "m", with_requirements("mlflow==1.20.0", *pins))  # PYSEC-2022-28, fixed in 1.23.1
    findings = lint(root, select=["ML510"]).findings
    assert findings and all(finding.fix is None and "save the model again" in finding.message for finding in findings)


def test_advisories_of_components_a_scoring_process_never_runs_are_left_out():
    # mlflow 2.9.2 is affected by PYSEC-2024-51 only: the tracking server's auth app.
    assert _vulnerable("mlflow==2.9.2\n") == []
    # mlflow 2.2.0: eight tracking-server advisories left out; none remains.
    assert _vulnerable("mlflow==2.2.0\n") == []
    # mlflow 1.20.0: the insecure temporary file (not known to be server-only) stays.
    assert _vulnerable("mlflow==1.20.0\n") == [("mlflow", "1.20.0", "1.23.1", 1)]


def test_the_serving_irrelevant_table_names_shipped_advisories_with_reasons():
    table = serving_irrelevant_table()
    assert len(table) == 9
    for row in table:
        ids = {advisory.id for advisory in advisory_data().get(row.distribution)}
        assert row.advisory in ids, row.advisory
        assert row.component and len(row.reason) > 40
    assert "PYSEC-2022-28" not in serving_irrelevant("mlflow")


# ----------------------------------------------------------------------------- --version


def test_snapshot_ages():
    text = snapshots.described(datetime.date(2024, 10, 11))
    assert "advisories 2024-10-10 (1 day old)" in text
    assert text.startswith("knowledge base ") and ", PyPI project list 20" in text
