"""Reading uv's answer (shared with scripts/record_real_resolution.py, whose tests cover the rest)."""

from __future__ import annotations

from modellint.resolve import uv_output

OFFLINE = ("error: No solution found when resolving dependencies\n"
           "  cause: Because mlflow was not found in the cache and you require mlflow==3.17.2, we can conclude that "
           "your requirements are unsatisfiable.\n\n"
           "      hint: Packages were unavailable because the network was disabled. When the network is disabled, "
           "registry packages may only be read from the cache.\n")
CONFLICT = ("error: No solution found when resolving dependencies\n"
            "  cause: Because all versions of pandas depend on numpy>=1.23.2 and you require pandas==2.2.3, we can "
            "conclude that you require numpy>=1.23.2.\n"
            "         And because you require numpy==1.21.0, we can conclude that your requirements are unsatisfiable.\n")
SDIST_ONLY = ("error: No solution found when resolving dependencies\n"
              "  cause: Because sourceonly==1.0 has no usable wheels and building from source is disabled and you "
              "require sourceonly==1.0, we can conclude that your requirements are unsatisfiable.\n")


def test_offline_is_no_answer_about_the_index():
    assert uv_output.classify(1, OFFLINE) == "index_unreachable"


def test_a_conflict_blames_the_first_requirement_of_uvs_chain():
    lines = uv_output.explanation(CONFLICT)
    assert uv_output.classify(1, CONFLICT) == "unsatisfiable"
    assert uv_output.first_required(lines, ["mlflow", "numpy", "pandas"]) == "pandas"
    assert uv_output.blamed(lines, ["mlflow", "numpy", "pandas"]) == ("numpy", "pandas")
    assert uv_output.first_required(lines, ["mlflow"]) is None


def test_a_release_only_a_build_answers():
    assert uv_output.needs_build(SDIST_ONLY)
    assert uv_output.needs_build("error: Failed to build `proj @ file:///x`\n  cause: Building source distributions "
                                 "for `proj` is disabled\n")
    assert not uv_output.needs_build(CONFLICT)


def test_a_chain_wrapped_to_the_terminal_width_is_read_the_same():
    wrapped = CONFLICT.replace("you require pandas==2.2.3", "you require\n         pandas==2.2.3")
    assert uv_output.first_required(uv_output.explanation(wrapped), ["numpy", "pandas"]) == "pandas"
