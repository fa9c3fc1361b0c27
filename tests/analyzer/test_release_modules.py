"""Modules some releases of a distribution install and others do not (release_modules.dat), and the
ML201/ML301 findings for a module the pinned release lacks though its package stays.

Real outcomes these tests stand on, recorded when they were written: scikit-learn 1.9.1 unpickling
``tests/data/release_modules/sklearn_022_forest.pkl`` (a ``GLOBAL sklearn.ensemble.forest
RandomForestClassifier``, as scikit-learn 0.22 pickled it) raised "ModuleNotFoundError: No module
named 'sklearn.ensemble.forest'"; numpy 1.25.2 unpickling ``numpy2_array.pkl`` (an array pickled by
numpy 2.4.6, protocol 2) raised "No module named 'numpy._core'", which numpy 1.26 added.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modellint import lint
from modellint.analyzer.knowledge.release_modules import DistributionModules, encode_block, release_modules
from modellint.findings import Severity
from modellint.rules._examples import CLEAN_PIP
from modellint.rules._serialized_examples import pickled_model
from tests.conftest import write_files

DATA = Path(__file__).resolve().parent.parent / "data" / "release_modules"


def test_a_block_lists_only_what_changes_and_reads_back():
    releases = {
        "1.0": frozenset({"pkg", "pkg.old", "pkg.core"}),
        "1.1": frozenset({"pkg", "pkg.old", "pkg.core", "pkg.new"}),
        "2.0": frozenset({"pkg", "pkg.core", "pkg.new"}),
        "2.1": frozenset({"pkg", "pkg.core", "pkg.old"}),  # came back
    }
    text = encode_block(releases)
    assert text == "v\t1.0\t1.1\t2.0\t2.1\npkg.new\t1-2\npkg.old\t0-1,3\n"
    block = DistributionModules(text)
    assert [block.lacks(version, "pkg.old") for version in releases] == [False, False, True, False]
    assert [block.lacks(version, "pkg.new") for version in releases] == [True, False, False, True]
    assert not block.lacks("2.0", "pkg.core")  # every release has it: not listed, never judged
    assert not block.lacks("2.0", "pkg.never")  # no release has it: a name made at run time, not judged
    assert not block.lacks("1.5", "pkg.old")  # a release not read
    assert block.installed_by("pkg.old") == ("1.0", "1.1", "2.1")
    assert encode_block({"1.0": frozenset({"a"}), "2.0": frozenset({"a"})}) is None


@pytest.mark.parametrize(("distribution", "version", "module", "lacks"), [
    ("scikit-learn", "1.9.1", "sklearn.ensemble.forest", True),
    ("scikit-learn", "0.23.2", "sklearn.ensemble.forest", False),
    ("scikit-learn", "1.9.1", "sklearn.ensemble._forest", False),
    ("scikit-learn", "1.9.1", "sklearn.externals.joblib", True),
    ("numpy", "1.25.2", "numpy._core", True),
    ("numpy", "1.26.4", "numpy._core", False),
    ("numpy", "2.4.6", "numpy._core.multiarray", False),
])
def test_the_shipped_data_knows_what_moved(distribution, version, module, lacks):
    assert release_modules().lacks(distribution, version, module) is lacks


def _sklearn_model(tmp_path: Path, pickle_name: str, *pins: str) -> Path:
    root = tmp_path / "model"
    files = pickled_model((DATA / pickle_name).read_bytes())
    if pins:
        from modellint.rules._code_examples import requirement_files

        files.update(requirement_files(*pins))
    write_files(root, files)
    return root


def test_a_pickle_naming_a_module_the_pinned_release_removed_is_ml301_without_a_fix(tmp_path):
    findings = [finding for finding in lint(_sklearn_model(tmp_path, "sklearn_022_forest.pkl")).findings
                if finding.code == "ML301"]
    assert len(findings) == 1 and findings[0].severity is Severity.ERROR and findings[0].fix is None
    assert ("the declared `scikit-learn==1.9.1` does not install it (of the releases read, scikit-learn 0.15.0 to "
            "0.23.2 have `sklearn.ensemble.forest`)") in findings[0].message


def test_a_numpy_2_pickle_under_numpy_1_25_is_ml301_and_under_1_26_is_not(tmp_path):
    old = _sklearn_model(tmp_path / "old", "numpy2_array.pkl", *CLEAN_PIP, "numpy==1.25.2")
    messages = [finding.message for finding in lint(old).findings if finding.code == "ML301"]
    assert len(messages) == 1 and "`numpy._core.multiarray`" in messages[0]
    assert "the declared `numpy==1.25.2` does not install it" in messages[0]
    fine = _sklearn_model(tmp_path / "fine", "numpy2_array.pkl", *CLEAN_PIP, "numpy==1.26.4")
    assert not [finding for finding in lint(fine).findings if finding.code == "ML301"]


def test_a_release_between_recorded_ones_is_not_judged_by_its_neighbours_files(tmp_path):
    """numpy 1.24.2 is not a recorded release (it inherits the Requires-Dist of 1.24.0 and 1.24.3), but its
    own files were not read, so nothing is said of its modules."""
    root = _sklearn_model(tmp_path, "numpy2_array.pkl", *CLEAN_PIP, "numpy==1.24.2")
    assert not [finding for finding in lint(root).findings if finding.code == "ML301"]


def test_a_distribution_that_makes_modules_at_import_is_not_judged(tmp_path):
    """tensorflow's files lose `tensorflow/keras/` at 2.8, yet `import tensorflow.keras` works under 2.15
    (an alias tensorflow's `__init__` sets up): only distributions whose modules are their files are judged."""
    from modellint.rules._code_examples import code_model

    root = tmp_path / "model"
    write_files(root, code_model({"layers.py": "import tensorflow.keras\n"}, "tensorflow==2.15.0"))
    assert not [finding for finding in lint(root).findings if finding.code == "ML201"]
    assert release_modules().get("tensorflow") is None
