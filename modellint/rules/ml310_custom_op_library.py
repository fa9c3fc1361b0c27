from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from modellint.findings import Finding, Severity
from modellint.rules._base import Invalid, SerializedFileRule, Valid, examples, in_member

if TYPE_CHECKING:
    from modellint.analyzer.serialized.facts import SerializedFacts

_SCRIPTED = """\
class Detector(Module):
  def forward(self: __torch__.Detector, x: Tensor) -> Tensor:
    return {call}
"""


_MAX_PER_FILE = 5


class CustomOpLibrary(SerializedFileRule):
    """## What it does
    Reports model files whose graph calls operators that neither the file nor the runtime that
    loads it provides:

    - ONNX nodes in an operator domain onnxruntime does not ship (anything but the ONNX domains,
      `ai.onnx.ml`, the training domains and onnxruntime's own `com.microsoft` domains) and not
      defined as a function inside the model. Subgraphs (`If`, `Loop`, `Scan`), training graphs
      and the model's functions are read too.
    - TorchScript archives whose `code/` calls `ops.<namespace>.<op>` in a namespace libtorch does
      not register by itself (`torchvision`, a compiled extension), read from the archive's
      source without importing torch.

    ## Why is this bad?
    onnxruntime refuses to create a session for such a model unless a shared library that
    implements the domain is registered first (`SessionOptions.register_custom_ops_library`,
    or `onnxruntime_extensions` for `ai.onnx.contrib`); `torch.jit.load` fails with "Unknown
    builtin op" unless the package or library that registers the namespace was loaded first.
    MLflow's `onnx` and `pytorch` flavors load neither, so `mlflow.pyfunc.load_model` fails in a
    fresh environment; and where the library is loaded, it is native code the model does not
    carry, run in the serving process.

    ## Example
    ```text
    model.onnx: node StringRegexReplace, domain ai.onnx.contrib
    data/model.pth: code/__torch__.py calls ops.torchvision.nms(boxes, scores, 0.5)
    ```

    ## Fix
    Export the model with standard operators only (or as a model-local ONNX function), or serve
    it with code that registers the reviewed custom-op library before loading it.
    """

    code = "ML310"
    name = "custom-op-library"
    severity = Severity.ERROR
    fix_title = "Export with standard operators, or register a reviewed custom-op library before loading"

    VALID = examples(lambda: _examples()[0])
    INVALID = examples(lambda: _examples()[1])

    def check(self, model: SerializedFacts) -> Iterator[Finding]:
        for serialized in model.serialized_files:
            loaded = model.loaded_by_mlflow(serialized.relative)
            hazards = [hazard for hazard in serialized.scan.hazards if hazard.kind == "custom-ops"]
            for index, hazard in enumerate(hazards):
                if index == _MAX_PER_FILE:  # a file built with thousands of domains: the first tell it
                    message = f"`{serialized.relative}` needs {len(hazards) - index:,} more custom-op domains, not listed"
                elif index > _MAX_PER_FILE:
                    break
                else:
                    message = f"`{serialized.relative}`{in_member(hazard.member)} {hazard.detail}"
                yield self.loaded_finding(serialized.path, message, loaded)


def _examples() -> tuple[tuple[Valid, ...], tuple[Invalid, ...]]:
    """VALID and INVALID (their builders are imported only when examples are read)."""
    from modellint.rules._format_examples import (
        onnx_files,
        onnx_model,
        onnx_node,
        torchscript_archive,
        torchscript_files,
    )

    valid = (
        Valid(onnx_files(onnx_model(onnx_node("Relu"), onnx_node("Gelu", "com.microsoft"),
                                    opsets=(("com.microsoft", 1),))),
              note="onnxruntime ships the com.microsoft domain"),
        Valid(torchscript_files(torchscript_archive(_SCRIPTED.format(call="ops.prim.NumToTensor(x)"))),
              note="TorchScript calling an operator libtorch registers"),
    )
    invalid = (
        Invalid(onnx_files(onnx_model(onnx_node("Relu"), onnx_node("StringRegexReplace", "ai.onnx.contrib"),
                                      opsets=(("ai.onnx.contrib", 1),))),
                (("model.onnx", 1),), note="an onnxruntime-extensions operator"),
        Invalid(torchscript_files(torchscript_archive(_SCRIPTED.format(call="ops.torchvision.nms(x, x, 0.5)"))),
                (("data/model.pth", 1),), note="a scripted module calling torchvision's operators"),
    )
    return valid, invalid
