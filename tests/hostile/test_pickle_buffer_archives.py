"""Archives in a pickle's ``io.BytesIO`` buffers (how Keras pickles a model) are read in bounded number:
a file of thousands of distinct tiny Keras archives is a problem past the budget, never seconds per
thousand archives; and a buffer's archive found past the budget is not taken as read."""

from __future__ import annotations

import io
import json
import struct
import time
import zipfile

from modellint.analyzer.serialized.pickles import scan_file
from modellint.analyzer.serialized.pickles.machine import MAX_BUFFER_ARCHIVES
from modellint.rules._format_examples import LAMBDA_FUNCTION, keras_archive, keras_layer


def _archive(index: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", json.dumps({"module": "keras", "class_name": "Sequential",
                                                    "config": {"name": f"s{index}", "layers": []}}))
    return buffer.getvalue()


def _buffer(archive: bytes) -> bytes:
    # NEWOBJ of an empty BytesIO, BUILD with (content, 0, None), POP
    return b"c_io\nBytesIO\n)\x81B" + struct.pack("<I", len(archive)) + archive + b"K\x00N\x87b0"


def test_thousands_of_buffer_archives_are_a_problem_past_the_budget(tmp_path):
    path = tmp_path / "model.pkl"
    lambda_archive = keras_archive(keras_layer("Lambda", function=LAMBDA_FUNCTION))
    # the Lambda comes last: past the budget, so the file must not read as clean
    path.write_bytes(b"\x80\x04" + b"".join(_buffer(_archive(index)) for index in range(5_000))
                     + _buffer(lambda_archive) + b"N.")
    started = time.perf_counter()
    result = scan_file(path)
    elapsed = time.perf_counter() - started
    assert [problem.reason for problem in result.problems] == [
        f"more than {MAX_BUFFER_ARCHIVES} archives in in-memory buffers: the rest are not read"]
    assert result.hazards == ()
    assert elapsed < 10.0, elapsed
