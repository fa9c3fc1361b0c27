"""Write the safetensors and GGUF fixtures of tests/data/weights/ with the real libraries.

Test-time tools, not dependencies of modellint: ``pip install safetensors gguf numpy`` (safetensors
0.8, gguf 0.17 were used), then ``python scripts/build_weight_fixtures.py``. The outputs are committed,
so the tests need neither library. Each GGUF carries one of the real chat templates of
tests/data/chat_templates/ and a small vocabulary array, as llama.cpp's converter writes them.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "weights"
TEMPLATES = ROOT / "tests" / "data" / "chat_templates"


def write_safetensors() -> None:
    rng = np.random.default_rng(0)
    save_file({
        "embed.weight": rng.standard_normal((16, 8)).astype(np.float32),
        "layer.0.bias": np.zeros(8, dtype=np.float16),
        "layer.0.mask": np.ones((2, 3), dtype=np.bool_),
        "layer.0.index": np.arange(5, dtype=np.int64),
        "scalar": np.array(3, dtype=np.int8),
        "empty": np.zeros((0, 4), dtype=np.float64),
    }, str(OUT / "model.safetensors"), metadata={"format": "pt", "source": "modellint fixture"})
    save_file({}, str(OUT / "empty.safetensors"))


def write_gguf(template_file: Path) -> None:
    path = OUT / f"{template_file.stem}.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(template_file.stem)
    writer.add_context_length(2048)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(["<s>", "</s>", "hello", "world", "<|im_start|>", "<|im_end|>"])
    writer.add_token_scores([0.0, 0.0, -1.0, -2.0, 0.0, 0.0])
    writer.add_chat_template(template_file.read_text())
    writer.add_tensor("token_embd.weight", np.zeros((6, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_safetensors()
    for template_file in sorted(TEMPLATES.glob("*.jinja")):
        write_gguf(template_file)


if __name__ == "__main__":
    main()
