"""The opcode machine on hand-assembled pickles: every bypass class of pickle.md §1.6-1.7.

The payloads are harmless (``os.system("echo pwned")``) and are never loaded: the tests only
hand the bytes to the static scanner.
"""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

import pytest

from modellint.analyzer.serialized.pickle_policy import Verdict, classify
from modellint.analyzer.serialized.pickles import scan_file, sniff

# --- a tiny assembler (protocol 4/5 opcodes unless named otherwise) ------------------------------

PROTO4 = b"\x80\x04"
STOP = b"."
MARK = b"("
TUPLE1 = b"\x85"
REDUCE = b"R"
STACK_GLOBAL = b"\x93"
MEMOIZE = b"\x94"
POP = b"0"
DUP = b"2"
EMPTY_DICT = b"}"
BUILD = b"b"


def u(text: str) -> bytes:
    """SHORT_BINUNICODE."""
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data


def binput(index: int) -> bytes:
    return b"q" + bytes([index])


def binget(index: int) -> bytes:
    return b"h" + bytes([index])


def call_with_echo(callable_push: bytes) -> bytes:
    """``callable("echo pwned")`` as a protocol-4 pickle."""
    return PROTO4 + callable_push + u("echo pwned") + TUPLE1 + REDUCE + STOP


def stack_global(module: str, name: str) -> bytes:
    return u(module) + u(name) + STACK_GLOBAL


EVIL_P4 = call_with_echo(stack_global("os", "system"))
BENIGN_P4 = PROTO4 + stack_global("collections", "OrderedDict") + b")" + REDUCE + STOP


def scan_bytes(tmp_path: Path, data: bytes, name: str = "model.pkl"):
    path = tmp_path / name
    path.write_bytes(data)
    return scan_file(path)


def unsafe(result) -> set[str]:
    """Every ``module.name`` the load imports or calls that the policy judges unsafe."""
    refs = [site.callable for site in result.calls] + list(result.globals)
    return {f"{ref.module}.{ref.name}" for ref in refs if classify(ref.module, ref.name) is Verdict.UNSAFE}


def called(result) -> set[str]:
    return {f"{site.callable.module}.{site.callable.name}" for site in result.calls}


def reasons(result) -> list[str]:
    return [problem.reason for problem in result.problems]


# --- §1.6: the adversarial corpus ----------------------------------------------------------------

CORPUS = {
    "evil_p4": (EVIL_P4, "os.system"),
    # protocol 0, Python 2 name mapped by _compat_pickle
    "evil_p0_builtin": (b"c__builtin__\neval\n(S'1+1'\ntR.", "builtins.eval"),
    "inst": (b"(S'echo pwned'\nios\nsystem\n.", "os.system"),
    # BINPUT 5 then MEMOIZE: MEMOIZE's index is len(memo) (1), not max+1
    "memo_mix": (PROTO4 + u("os") + binput(5) + u("system") + MEMOIZE + POP + POP + binget(5) + binget(1)
                 + STACK_GLOBAL + u("echo pwned") + TUPLE1 + REDUCE + STOP, "os.system"),
    "stacked": (BENIGN_P4 + EVIL_P4, "os.system"),
    # STRING operands and no PROTO: the operands of STACK_GLOBAL are at offset 0
    "stackglobal_string_noproto": (b"S'os'\nS'system'\n\x93(S'echo pwned'\ntR.", "os.system"),
    "dotted_pathlib": (call_with_echo(stack_global("pathlib", "os.system")), "pathlib.os.system"),
    "int_base0_prefix": (b"I0x1\n0" + EVIL_P4, "os.system"),
    # the memo holds the top of stack (the DUP'ed 'os'), not "the previous opcode's argument"
    "dup_binput": (PROTO4 + u("os") + DUP + binput(1) + POP + POP + binget(1) + u("system") + STACK_GLOBAL
                   + u("echo pwned") + TUPLE1 + REDUCE + STOP, "os.system"),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_adversarial_corpus_is_detected(tmp_path: Path, case: str) -> None:
    data, expected = CORPUS[case]
    result = scan_bytes(tmp_path, data, name="model.bin")  # a non-pickle extension: chosen by content
    assert result.kind == "pickle"
    assert expected in unsafe(result)


def test_int_base0_literal_is_parsed_like_cpython_and_flagged(tmp_path: Path) -> None:
    result = scan_bytes(tmp_path, CORPUS["int_base0_prefix"][0])
    assert any("non-decimal INT literal" in reason for reason in reasons(result))
    assert "os.system" in called(result)


def test_ext_codes_are_unresolvable(tmp_path: Path) -> None:
    result = scan_bytes(tmp_path, PROTO4 + b"\x82\x7f" + u("echo pwned") + TUPLE1 + REDUCE + STOP)
    assert any("extension code 127" in reason for reason in reasons(result))


@pytest.mark.parametrize("opcode", [b"\x83\x01\x00", b"\x84\x01\x00\x00\x00"])
def test_ext2_and_ext4_are_unresolvable(tmp_path: Path, opcode: bytes) -> None:
    result = scan_bytes(tmp_path, PROTO4 + opcode + POP + BENIGN_P4[2:])
    assert any("extension code 1" in reason for reason in reasons(result))


def test_computed_import_operands_fail_closed(tmp_path: Path) -> None:
    # STACK_GLOBAL whose module is the result of a call (''.join(...)) is known only at load time
    join = stack_global("builtins", "str") + u("o") + TUPLE1 + REDUCE
    result = scan_bytes(tmp_path, PROTO4 + join + u("system") + STACK_GLOBAL + POP + STOP)
    assert any("computed import" in reason for reason in reasons(result))


def test_protocol_2_names_are_mapped_and_protocol_3_names_are_not(tmp_path: Path) -> None:
    mapped = scan_bytes(tmp_path, b"\x80\x02c__builtin__\nexec\nq\x000.", "p2.pkl")
    assert {(ref.module, ref.name) for ref in mapped.globals} == {("builtins", "exec")}
    unmapped = scan_bytes(tmp_path, b"\x80\x03c__builtin__\nexec\nq\x000.", "p3.pkl")
    assert {(ref.module, ref.name) for ref in unmapped.globals} == {("__builtin__", "exec")}
    assert unsafe(unmapped) == {"__builtin__.exec"}  # a name Python 3 cannot import is still not trusted


# --- §1.7: published bypasses --------------------------------------------------------------------


def test_build_on_an_imported_object_is_a_setattr(tmp_path: Path) -> None:
    """modelscan#85: BUILD sets ``numpy.prod.a = 'os'`` before a dotted GLOBAL reads it back."""
    data = b"cnumpy\nprod\n}(S'a'\nS'os'\nub0cnumpy\nprod.a\n."
    result = scan_bytes(tmp_path, data)
    assert "builtins.setattr" in unsafe(result)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("pkgutil", "resolve_name"), ("importlib", "import_module"), ("pip", "main"), ("_pickle", "loads"),
        ("mailcap", "findmatch"), ("runpy", "run_path"), ("subprocess", "Popen"), ("builtins", "getattr"),
        ("operator", "attrgetter"), ("asyncio.unix_events", "_UnixSelectorEventLoop"),
        ("multiprocessing.util", "spawnv_passfds"), ("_interpreters", "run_string"), ("webbrowser", "open"),
        ("mlflow.projects.backend.local", "_run_entry_point"), ("torch.utils.collect_env", "run"),
        ("pandas", "read_csv"), ("pandas.io.parsers.readers", "read_csv"), ("transformers", "AutoModel.from_pretrained"),
        ("numpy", "__builtins__.exec"), ("numpy", "core._internal.sys.modules"), ("torch", "load"),
        ("types", "FunctionType.__call__"),
    ],
)
def test_universal_resolvers_and_gadgets_are_unsafe(tmp_path: Path, module: str, name: str) -> None:
    """Denylist gaps (pickle.md §1.7.5), ML-library gadgets (§1.7.6), blocked-module subclasses (§1.7.8)."""
    result = scan_bytes(tmp_path, call_with_echo(stack_global(module, name)))
    assert f"{module}.{name}" in unsafe(result)


@pytest.mark.parametrize(
    ("module", "name", "verdict"),
    [
        ("collections", "OrderedDict", Verdict.SAFE),
        ("numpy._core.multiarray", "_reconstruct", Verdict.SAFE),
        ("sklearn.ensemble._forest", "RandomForestClassifier", Verdict.DEPENDENCY),
        ("lightgbm.sklearn", "LGBMClassifier", Verdict.DEPENDENCY),
        ("my_model", "MyModel", Verdict.DEPENDENCY),
        ("cloudpickle.cloudpickle", "_make_function", Verdict.EMBEDDED),
        ("cloudpickle.cloudpickle_fast", "_make_skeleton_class", Verdict.EMBEDDED),
        ("types", "CodeType", Verdict.EMBEDDED),
        ("sklearn.pipeline", "Pipeline.fit", Verdict.DEPENDENCY),
        ("distutils.spawn", "spawn", Verdict.UNSAFE),  # stdlib until 3.11: judged as stdlib whatever runs modellint
    ],
)
def test_policy_verdicts(module: str, name: str, verdict: Verdict) -> None:
    assert classify(module, name) is verdict


def test_obj_call_that_is_popped_still_counts(tmp_path: Path) -> None:
    """fickling GHSA-mxhj-88fx-4pcv: the OBJ result is discarded, the call happened."""
    result = scan_bytes(tmp_path, PROTO4 + MARK + stack_global("os", "system") + u("echo pwned") + b"o" + POP
                        + b"N" + STOP)
    assert "os.system" in called(result)


def test_setstate_via_build_is_a_call(tmp_path: Path) -> None:
    data = PROTO4 + stack_global("evil_lib", "Thing") + b")" + REDUCE + EMPTY_DICT + BUILD + STOP
    result = scan_bytes(tmp_path, data)
    assert {(site.callable.name, site.opcode) for site in result.calls} >= {("Thing", "REDUCE"), ("Thing", "BUILD")}


def test_newobj_and_newobj_ex_are_calls(tmp_path: Path) -> None:
    newobj = PROTO4 + stack_global("a_lib", "A") + b")" + b"\x81" + POP
    newobj_ex = stack_global("b_lib", "B") + b")" + EMPTY_DICT + b"\x92" + POP + b"N" + STOP
    result = scan_bytes(tmp_path, newobj + newobj_ex)
    assert {(site.callable.module, site.opcode) for site in result.calls} == {("a_lib", "NEWOBJ"), ("b_lib", "NEWOBJ_EX")}


# --- fail closed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (PROTO4 + u("os") + b"\xff", "unknown opcode 0xff"),
        (PROTO4 + u("os") + u("system") + STACK_GLOBAL, "no STOP opcode"),
        (PROTO4 + binget(3) + u("system") + STACK_GLOBAL + STOP, "memo miss"),
        (PROTO4 + u("system") + STACK_GLOBAL + STOP, "stack underflow"),
        (PROTO4 + b"\x8e" + struct.pack("<Q", 10**6) + b"abc", "truncated stream"),
        (PROTO4 + u("os") + b"q", "truncated stream"),
    ],
)
def test_unreadable_streams_are_problems(tmp_path: Path, data: bytes, reason: str) -> None:
    result = scan_bytes(tmp_path, data)
    assert result.kind == "pickle"
    assert any(reason in text for text in reasons(result)), reasons(result)


def test_trailing_garbage_is_reported(tmp_path: Path) -> None:
    result = scan_bytes(tmp_path, BENIGN_P4 + b"\x00\x01garbage")
    assert any("trailing data" in reason for reason in reasons(result))


def test_stack_global_needs_str_operands(tmp_path: Path) -> None:
    result = scan_bytes(tmp_path, PROTO4 + b"C\x02os" + u("system") + STACK_GLOBAL + STOP)
    assert any("computed import" in reason for reason in reasons(result))


@pytest.mark.parametrize("data", [b"", b"hello world\n", b"flavors:\n  python_function: {}\n", b"\x80", b"\x80\x09."])
def test_non_pickles_are_not_sniffed_as_pickles(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    assert sniff(path) is None


def test_random_bytes_never_raise(tmp_path: Path) -> None:
    import random

    generator = random.Random(5)
    for index in range(300):
        data = PROTO4 + bytes(generator.randrange(256) for _ in range(generator.randrange(1, 200)))
        scan_bytes(tmp_path, data, f"fuzz{index}.pkl")  # any outcome but an exception


# --- payloads are skipped, not read --------------------------------------------------------------


def test_large_payload_is_skipped_with_constant_memory(tmp_path: Path) -> None:
    size = 256 * 2**20  # a sparse file: no disk space used, and reading it would allocate 256 MiB
    path = tmp_path / "weights.pkl"
    with path.open("wb") as handle:
        handle.write(PROTO4 + stack_global("numpy", "ndarray") + b"\x8e" + struct.pack("<Q", size))
        handle.seek(size, 1)
        handle.write(TUPLE1 + REDUCE + STOP)
    tracemalloc.start()
    result = scan_file(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.problems == () and {ref.name for ref in result.globals} == {"ndarray"}
    assert peak < 8 * 2**20
