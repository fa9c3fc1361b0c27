"""Input example reading and checking, case by case (MLflow's verdicts on the corpus: tests/corpus)."""

from __future__ import annotations

import json
from pathlib import Path

from modellint.analyzer.signatures.input_examples import JsonPositions, check_example, load_example
from modellint.analyzer.signatures.schema import parse_signature


def _columns(inputs: list, *, params: list | None = None) -> dict:
    signature = {"inputs": json.dumps(inputs), "outputs": None, "params": None}
    if params is not None:
        signature["params"] = json.dumps(params)
    return signature


def _model(tmp_path: Path, signature: dict, info: dict, files: dict[str, object]) -> tuple[Path, dict]:
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        (tmp_path / name).write_text(text)
    return tmp_path, {"signature": signature, "saved_input_example_info": info}


def _mismatches(tmp_path: Path, signature: dict, info: dict, files: dict[str, object]):
    root, mlmodel = _model(tmp_path, signature, info, files)
    parsed, errors = parse_signature(mlmodel["signature"])
    assert errors == []
    example, problems = load_example(root, mlmodel)
    assert problems == []
    return check_example(parsed, example)


SPLIT = {"artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split",
         "serving_input_path": "serving_input_example.json"}  # fmt: skip
AB = _columns([{"type": "double", "name": "a", "required": True}, {"type": "long", "name": "b", "required": True}])


def _split_files(columns: list, rows: list) -> dict:
    frame = {"columns": columns, "data": rows}
    return {"input_example.json": frame, "serving_input_example.json": {"dataframe_split": frame}}


def test_matching_frame_has_no_mismatch(tmp_path):
    assert _mismatches(tmp_path, AB, SPLIT, _split_files(["a", "b"], [[1.5, 1], [2, 2]])) == []


def test_missing_column_is_named_with_its_line(tmp_path):
    # Both files are written indented here, so the column names sit on line 2 and line 3.
    found = _mismatches(tmp_path, AB, SPLIT, _split_files(["a", "bb"], [[1.5, 1]]))
    assert [(m.file.name, m.column, m.line) for m in found] == [
        ("input_example.json", "b", 2),
        ("serving_input_example.json", "b", 3),
    ]
    assert "['b'] missing" in found[0].message and "bb" in found[0].message


def test_text_in_double_column_points_at_the_value(tmp_path):
    found = _mismatches(tmp_path, AB, SPLIT, _split_files(["a", "b"], [[1.5, 1], ["high", 2]]))
    serving = next(m for m in found if m.file.name == "serving_input_example.json")
    assert (serving.column, serving.value) == ("a", "high")
    text = (tmp_path / "serving_input_example.json").read_text().splitlines()
    assert '"high"' in text[serving.line - 1]


def test_cast_rules_follow_mlflow(tmp_path):
    # MLflow casts frame columns with astype: numeric text parses, floats truncate into longs.
    assert _mismatches(tmp_path, AB, SPLIT, _split_files(["a", "b"], [["2.5", 1.9]])) == []
    nulls = _mismatches(tmp_path, AB, SPLIT, _split_files(["a", "b"], [[1.0, None]]))
    assert {m.column for m in nulls} == {"b"}


def test_optional_column_may_be_missing_and_extra_columns_are_ignored(tmp_path):
    signature = _columns([{"type": "double", "name": "a", "required": True},
                          {"type": "string", "name": "c", "required": False}])  # fmt: skip
    assert _mismatches(tmp_path, signature, SPLIT, _split_files(["a", "zz"], [[1.0, "x"]])) == []


def test_tensor_shape_and_dtype(tmp_path):
    signature = {"inputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}])}
    info = {"artifact_path": "input_example.json", "type": "ndarray", "serving_input_path": "serving_input_example.json"}
    ok = {"input_example.json": [[1, 2]], "serving_input_example.json": {"inputs": [[1.0, 2.0]]}}
    assert _mismatches(tmp_path, signature, info, ok) == []
    wide = {"input_example.json": [[1, 2, 3]], "serving_input_example.json": {"inputs": [[1.0, "x"]]}}
    found = _mismatches(tmp_path, signature, info, wide)
    assert ["shape [1, 3]" in found[0].message, found[1].value] == [True, "x"]


def test_params_are_checked_by_name(tmp_path):
    params = [{"name": "temperature", "default": 0.5, "shape": None, "type": "double"},
              {"name": "stop", "default": ["a"], "shape": [-1], "type": "string"}]  # fmt: skip
    signature = _columns([{"type": "string", "name": "q", "required": True}], params=params)
    files = {"serving_input_example.json": {"dataframe_split": {"columns": ["q"], "data": [["hi"]]},
                                            "params": {"temperature": "hot", "stop": "x", "other": 1}}}  # fmt: skip
    info = {"artifact_path": "missing-is-reported-separately.json", "type": "dataframe",
            "serving_input_path": "serving_input_example.json"}  # fmt: skip
    root, mlmodel = _model(tmp_path, signature, info, files)
    example, problems = load_example(root, mlmodel)
    assert [p.file.name for p in problems] == ["missing-is-reported-separately.json"]
    found = check_example(parse_signature(signature)[0], example)
    assert [(m.column, m.value) for m in found] == [("temperature", "hot"), ("stop", "x")]


def test_json_object_example_is_enforced_strictly(tmp_path):
    # json_object examples reach _enforce_schema uncast: a long column refuses 1.5 here.
    signature = _columns([{"type": "long", "name": "n", "required": True}])
    info = {"artifact_path": "input_example.json", "type": "json_object"}
    found = _mismatches(tmp_path, signature, info, {"input_example.json": {"n": 1.5}})
    assert [(m.column, m.value) for m in found] == [("n", 1.5)]


def test_unreadable_files_are_problems_not_mismatches(tmp_path):
    (tmp_path / "input_example.json").write_text("{not json")
    mlmodel = {"saved_input_example_info": {"type": "dataframe", "artifact_path": "input_example.json",
                                            "serving_input_path": "nope.json"}}  # fmt: skip
    example, problems = load_example(tmp_path, mlmodel)
    assert [p.file.name for p in problems] == ["input_example.json", "nope.json"]
    assert example.payloads == ()
    unknown, problems = load_example(tmp_path, {"saved_input_example_info": {"type": "parquet"}})
    assert "parquet" in problems[0].message


def test_no_example_info_means_no_example(tmp_path):
    assert load_example(tmp_path, {}) == (None, [])


def test_json_positions():
    text = '{\n  "a": [\n    1,\n    {"b": "x"}\n  ],\n  "c": NaN\n}'
    positions = JsonPositions(text)
    assert positions.line(("a", 0)) == 3
    assert positions.line(("a", 1, "b")) == 4
    assert positions.line(("c",)) == 6
    assert positions.line(("a", 7)) == 2  # falls back to the nearest existing parent
