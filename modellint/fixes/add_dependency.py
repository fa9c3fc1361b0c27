"""The fix ML201, ML202 and ML301 share: declare the distribution a finding names as missing.

The distribution comes from the knowledge base (its top-ranked provider of the module, the
canonical one where several ship it: ``cv2`` -> ``opencv-python``), never from a name guess, and
only when it is published on PyPI: a project that only the ``--python`` interpreter knows (an
editable install of the user's own code) is not installable from the model's files. The line is
added to requirements.txt and the conda ``pip:`` list together (:func:`.environment_edits.add_requirement`).

Pinned to the version the ``--python`` interpreter has installed, the fix declares what the
code ran with: safe. Without ``--python`` the line is unpinned and serving installs whatever is
newest, which may not be what the model was trained and tested with: unsafe.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from modellint.analyzer.knowledge.distributions import normalize
from modellint.analyzer.model_dir import ModelDir
from modellint.findings import Applicability, Fix
from modellint.fixes.environment_edits import add_requirement
from modellint.fixes.requirement_lists import pip_lines, pip_lists


def requirement_to_add(model: ModelDir, distribution: str) -> tuple[str, Applicability]:
    """``name==X`` (safe) with the ``--python`` interpreter's version, else ``name`` (unsafe)."""
    name = normalize(distribution)
    installed = model.environment.knowledge.installed_version(name)
    try:
        # A local version label (`2.1.0+cu118`) names a build PyPI does not have; `==2.1.0`
        # installs the public release it was made from, as MLflow's own pins do.
        public = Version(installed).public if installed else None
    except InvalidVersion:
        public = None
    if public:
        return f"{name}=={public}", Applicability.SAFE
    return name, Applicability.UNSAFE


def add_dependency_fix(model: ModelDir, distribution: str | None) -> Fix | None:
    """The fix declaring ``distribution``; None when there is nothing safe to write: no or an
    unpublished distribution, one the lists already name (under a marker or spelled as a URL:
    a person must reconcile the two lines), or lists that cannot both take it."""
    if not distribution:
        return None
    name = normalize(distribution)
    if not model.environment.knowledge.published(name):
        return None
    if any(line.name == name for line in pip_lines(model)):
        return None
    requirement, applicability = requirement_to_add(model, name)
    files = " and ".join(dict.fromkeys(lst.path.name for lst in pip_lists(model)))
    return add_requirement(model, requirement, f"Add `{requirement}` to {files or 'the requirements'}", applicability)

