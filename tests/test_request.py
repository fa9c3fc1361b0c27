"""`modellint request`: a sample request per target, always accepted by the signature checks
(ML401's enforcement), over every corpus model with a signature."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellint.analyzer.deployment.requests import (
    AZURE_UNLISTED_FORMS,
    REQUEST_TARGETS,
    request_problems,
    sample_request,
    unwrap_azure,
)
from modellint.analyzer.model_dir import ModelDir
from modellint.analyzer.signatures.schema import parse_signature
from modellint.cli import main
from modellint.rules._examples import CLEAN, MLMODEL, SIGNATURE, model_files
from tests.conftest import REPO, write_files

CORPUS_MODELS = sorted(path.parent for folder in ("models", "signatures")
                       for path in (REPO / "corpus" / folder).glob("*/MLmodel"))
WITH_SIGNATURE = [model for model in CORPUS_MODELS if ModelDir(model).signature.signature is not None]


def test_the_corpus_has_models_with_signatures():
    assert len(WITH_SIGNATURE) >= 40


@pytest.mark.parametrize("target", sorted(REQUEST_TARGETS))
def test_a_request_is_written_for_every_corpus_model_with_a_signature_and_passes_ml401(target):
    unwritten = []
    for model in WITH_SIGNATURE:
        facts = ModelDir(model).signature
        request = sample_request(facts.signature, facts.example, target)
        if request.body is None:
            unwritten.append((model.name, request.problem))
            continue
        assert facts.signature is not None
        assert request_problems(facts.signature, request.body, target, facts.example) == [], model.name
    assert unwritten == []


def test_the_azure_request_unwraps_to_the_mlflow_request():
    """`input_data` around the same split frame or tensors the mlflow-serve request sends."""
    compared = 0
    for model in WITH_SIGNATURE:
        facts = ModelDir(model).signature
        mlflow = sample_request(facts.signature, facts.example, "mlflow-serve")
        azure = sample_request(facts.signature, facts.example, "azureml-online")
        assert mlflow.body is not None and azure.body is not None
        assert set(azure.body) == {"input_data"}
        if mlflow.origin != azure.origin:
            continue  # an example Azure has no form for: Azure's request is the signature's placeholder
        unwrapped = unwrap_azure(azure.body)
        sent = {key: value for key, value in mlflow.body.items() if key != "params"}
        if "dataframe_split" in sent:
            assert unwrapped is not None and "dataframe_split" in unwrapped
            frame = {key: value for key, value in unwrapped["dataframe_split"].items() if key != "index"}
            assert frame == {key: value for key, value in sent["dataframe_split"].items() if key != "index"}, model.name
        elif "inputs" in sent:
            assert unwrapped == sent, model.name
        compared += 1
    assert compared >= 30


def _signature(inputs: str):
    signature, errors = parse_signature({"inputs": inputs, "outputs": None, "params": None})
    assert signature is not None, errors
    return signature


def test_without_an_example_the_request_holds_placeholders_of_the_signature_types():
    signature = _signature('[{"type": "double", "name": "a"}, {"type": "string", "name": "b"}, '
                           '{"type": "array", "items": {"type": "long"}, "name": "c"}]')
    request = sample_request(signature, None, "azureml-online")
    assert request.origin == "signature"
    assert request.body == {"input_data": {"columns": ["a", "b", "c"], "index": [0], "data": [[0.0, "", [0]]]}}
    tensors = _signature('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2, 3]}}]')
    assert sample_request(tensors, None, "mlflow-serve").body == {"inputs": [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]}


def test_records_become_azure_split_orientation():
    from modellint.analyzer.deployment.requests import _for_target

    body = {"dataframe_records": [{"a": 1.5, "b": 2.0}, {"a": 3.0}]}
    assert _for_target(body, "azureml-online", _signature('[{"type": "double", "name": "a"}]')) == {
        "input_data": {"columns": ["a", "b"], "index": [0, 1], "data": [[1.5, 2.0], [3.0, None]]}}
    assert unwrap_azure({"input_data": [[1, 2]]}) == {"inputs": [[1, 2]]}
    assert unwrap_azure({"input_data": [[1, 2]], "params": {}}) is None


def test_the_request_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "model", CLEAN)
    assert main(["request", "--target", "azureml-online", "model"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"input_data": {"columns": ["a", "b"], "index": [0], "data": [[0.0, 0.0]]}}
    assert "built from the signature" in err
    assert main(["request", "model", "--output-file", "out/request.json"]) == 0
    assert json.loads((tmp_path / "out" / "request.json").read_text()) == {
        "dataframe_split": {"columns": ["a", "b"], "data": [[0.0, 0.0]]}}


def test_no_request_without_a_signature_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "model", model_files(MLmodel=MLMODEL.replace(SIGNATURE, "")))
    assert main(["request", "model"]) == 2
    assert "no readable signature" in capsys.readouterr().err
    assert main(["request", "nothing-here"]) == 2
    assert main(["request", "--target", "azureml-batch", "model"]) == 2  # batch endpoints read files


_CHAT = parse_signature({
    "inputs": '[{"type": "array", "items": {"type": "object", "properties": {"content": {"type": "string"}, '
              '"role": {"type": "string"}}}, "name": "messages"}]',
    "outputs": None,
    "params": '[{"name": "temperature", "default": 0.1, "shape": null, "type": "double"}]'})[0]


def _stored(tmp_path, mlmodel_signature: str, payload: dict) -> ModelDir:
    """A model whose stored serving payload is ``payload`` (what ML602 judges and the request starts from)."""
    mlmodel = MLMODEL.replace(SIGNATURE, "saved_input_example_info:\n  artifact_path: input_example.json\n"
                                         "  serving_input_path: serving_input_example.json\n  type: json_object\n"
                              + mlmodel_signature)
    write_files(tmp_path, model_files(MLmodel=mlmodel, input_example__json=json.dumps(payload),
                                      serving_input_example__json=json.dumps(payload)))
    return ModelDir(tmp_path)


def test_a_chat_payload_is_sent_to_azure_as_named_tensors_and_its_params_left_out():
    """The scoring server hands a chat model the payload less its declared params, a dictionary of
    lists: Azure's named tensors. ML602 warns on the stored payload; the request converts it."""
    from modellint.analyzer.signatures.input_examples import Example, serving_payload

    body = {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5}
    payload, _ = serving_payload(Path("serving_input_example.json"), body, json.dumps(body))
    assert payload is not None and payload.form in AZURE_UNLISTED_FORMS  # what ML602 reports
    request = sample_request(_CHAT, Example((payload,)), "azureml-online")
    assert request.origin == "stored serving example"
    assert request.body == {"input_data": {"messages": [{"role": "user", "content": "hi"}]}}
    assert unwrap_azure(request.body) == {"inputs": {"messages": [{"role": "user", "content": "hi"}]}}
    assert request.notes == ("params are left out: Azure ML's documented payload is `input_data` alone",)
    assert sample_request(_CHAT, Example((payload,)), "mlflow-serve").body == body


def test_a_completion_prompt_has_no_azure_form_and_the_reason_is_ml602s(tmp_path):
    from modellint.rules.ml602_azureml_request_format import AzuremlRequestFormat

    model = _stored(tmp_path, SIGNATURE.replace(
        SIGNATURE[SIGNATURE.index("inputs"):SIGNATURE.index(", outputs")],
        """inputs: '[{"type": "string", "name": "prompt", "required": true}]'"""), {"prompt": "Say hi"})
    facts = model.signature
    request = sample_request(facts.signature, facts.example, "azureml-online")
    assert request.body is None or request.origin != "stored serving example"
    reason = next(note for note in request.notes if note.startswith("the stored serving example"))
    assert AZURE_UNLISTED_FORMS["llm"] in reason and "`prompt` is a string" in reason
    (finding,) = AzuremlRequestFormat().check(model)
    assert AZURE_UNLISTED_FORMS["llm"] in finding.message
