"""Budgets, enforced and reported: what a hostile model dir makes the checker parse, inflate or run
is bounded, and every budget hit is a finding naming the budget (ML001/ML110 for YAML and
requirement lists, ML303 for serialized files), never a hang or a clean verdict.

Each case runs the real CLI through the hostile harness (no code run, nothing written, bounded
time and peak RSS, a finding or a one-line error). Measured on the 2-vCPU VM under the load of
the other helpers' runs: every fast case finishes in under 1.5 s and 100 MiB (most in 0.3 s,
start-up included); the slow ones say what they cost.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from pathlib import Path

import pytest

from modellint.analyzer.environment.requirements import MAX_REQUIREMENT_LINES, MAX_REQUIREMENTS_CHARS
from modellint.analyzer.serialized.inventory import scan_model_files
from modellint.analyzer.serialized.pickles import Limits, scan_file
from modellint.analyzer.yamlfile import MAX_YAML_NODES
from modellint.rules._examples import CLEAN, MLMODEL
from modellint.rules._format_examples import encode_field, onnx_files, onnx_node
from tests.conftest import REPO
from tests.hostile.harness import Run, Sandbox, assert_promises, run_cli

FAST = 5.0  # seconds, start-up included
MEMORY = 512 * 2**20
PICKLE_MLMODEL = MLMODEL.replace("model.skops", "model.pkl").replace("serialization_format: skops",
                                                                     "serialization_format: cloudpickle")


def check(tmp_path: Path, files: Mapping[str, str | bytes], *expected: str, seconds: float = FAST,
          memory: int = MEMORY, env: Mapping[str, str] | None = None, timeout: float = 120.0,
          clean_allowed: bool = False) -> Run:
    """Write ``files`` over the clean model, run ``modellint check`` and hold it to the promises; every
    string of ``expected`` must be in the output."""
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write({**CLEAN, **files})
    return check_sandbox(sandbox, *expected, seconds=seconds, memory=memory, env=env, timeout=timeout,
                         clean_allowed=clean_allowed)


def check_sandbox(sandbox: Sandbox, *expected: str, seconds: float = FAST, memory: int = MEMORY,
                  env: Mapping[str, str] | None = None, timeout: float = 120.0, clean_allowed: bool = False) -> Run:
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox, timeout=timeout, env=env)
    assert_promises(run, sandbox, before, seconds=seconds, memory=memory, clean_allowed=clean_allowed)
    for text in expected:
        assert text in run.stdout, f"{text!r} not reported\n{run!r}"
    return run


# --- YAML: alias bombs, merge-key bombs, recursion, nesting ------------------------------------------

def billion_laughs(levels: int = 9, fanout: int = 9) -> str:
    lines = ['lol: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fanout) + "]")
    return "\n".join(lines) + "\n"


def merge_bomb(levels: int = 40) -> str:
    """``<<: [*a, *a]`` doubles the pairs PyYAML's flatten_mapping copies at every level."""
    lines = ["m0: &m0 {x: 1, y: 2}"]
    for level in range(1, levels):
        lines.append(f"m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}], k{level}: {level}}}")
    return "\n".join(lines) + "\n"


BLOCK_ALIASES = "a: &a\n- x\n- x\n- x\n- x\n- x\n- x\n- x\n- x\n" + "".join(
    f"b{i}: &b{i}\n" + "".join(f"- *{'a' if i == 0 else f'b{i - 1}'}\n" for _ in range(8)) for i in range(8))
# (anchor definitions, the value put where modellint walks it)
YAML_BOMBS = {
    "billion-laughs": (billion_laughs(), "*l9"),
    "merge-keys": (merge_bomb(), "*m39"),
    "nested-aliases-in-block-style": (BLOCK_ALIASES, "*b7"),
    "recursive-alias": ("r: &r [x, *r]\n", "*r"),
    "recursive-mapping": ("r: &r {x: *r}\n", "*r"),
    "deep-flow-nesting": ("", "[" * 100_000 + "]" * 100_000),
    "deep-flow-mappings": ("", "{a: " * 50_000 + "1" + "}" * 50_000),
    "many-plain-nodes": ("", "[" + "a, " * (2 * MAX_YAML_NODES) + "a]"),
}
YAML_FILES = {"MLmodel": "ML001", "conda.yaml": "ML110", "python_env.yaml": "ML110"}


def yaml_with_bomb(name: str, definitions: str, use: str) -> str:
    """``name``'s usual content with ``use`` where modellint reads a value: the env path of MLmodel, a conda
    dependency, the python_env dependencies (walking such a value is what an alias bomb explodes)."""
    anchors = "x-anchors:\n" + "".join(f"  {line}\n" for line in definitions.splitlines()) if definitions else ""
    if name == "MLmodel":
        return anchors + MLMODEL.replace("      conda: conda.yaml\n", f"      conda: {use}\n")
    if name == "conda.yaml":
        return anchors + f"channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- {use}\n"
    return anchors + f"python: 3.11.7\ndependencies: {use}\n"


@pytest.mark.parametrize("bomb", sorted(YAML_BOMBS))
@pytest.mark.parametrize("name", sorted(YAML_FILES))
def test_a_yaml_bomb_is_a_budget_finding(tmp_path, name, bomb):
    # Before: an alias bomb at a value modellint walks (a conda dependency, the python_env dependencies,
    # MLmodel's env path) ran past 30 s growing memory (killed); libyaml stops flow nesting at 1,000 levels
    # but pays the depth per token below that. After: 0.2-0.3 s, 25 MiB, the finding names the budget.
    run = check(tmp_path, {name: yaml_with_bomb(name, *YAML_BOMBS[bomb])}, YAML_FILES[name])
    assert "YAML budget" in run.stdout or "not valid YAML" in run.stdout, run


def test_deep_block_nesting_is_a_budget_finding(tmp_path):
    mlmodel = MLMODEL + "metadata:\n" + "".join("  " * depth + f"k{depth}:\n" for depth in range(1, 400)) + "  " * 400 + "x\n"
    check(tmp_path, {"MLmodel": mlmodel}, "ML001", "nested deeper than")


def test_a_few_anchors_and_merge_keys_still_parse(tmp_path):
    conda = ("defaults: &pins\n  - scikit-learn==1.9.1\n  - skops==0.16.0\n"
             "channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=23.2.1\n"
             "- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\nname: mlflow-env\n"
             "base: &base {a: 1}\nderived: {<<: *base, b: 2}\n")
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write({**CLEAN, "conda.yaml": conda})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox)
    assert_promises(run, sandbox, before, seconds=FAST, clean_allowed=True)
    assert "YAML budget" not in run.stdout and "ML110" not in run.stdout, run


# --- requirement lists -------------------------------------------------------------------------------

LONG_LINES = {
    "spaces": "x" + " " * 40_000 + "y",
    "tabs": "x" + "\t" * 40_000 + "y",
    "spaces-then-hash": "scikit-learn" + " " * 40_000 + "x#",
    "hashes-and-spaces": " #" * 40_000,
    "bracket-spaces": "x[" + " " * 40_000 + "y",
    "a-megabyte-line": "x" + " " * (MAX_REQUIREMENTS_CHARS - 100) + "y",
}


@pytest.mark.parametrize("shape", sorted(LONG_LINES))
def test_a_long_requirement_line_parses_in_linear_time(tmp_path, shape):
    # Before: 119 s for 40,000 spaces (comment regex), 45 s more in the pep508 fast path.
    # After: 0.3-0.5 s whole run, the 1 MiB line included.
    line = LONG_LINES[shape]
    requirements = "mlflow==3.17.2\nscikit-learn==1.9.1\nskops==0.16.0\n" + line
    conda = ("channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=23.2.1\n- " + line.replace("#", "")
             + "\n- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\n  - skops==0.16.0\nname: mlflow-env\n")
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write({**CLEAN, "requirements.txt": requirements, "conda.yaml": conda})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox)
    # a comment-only line is a valid (empty) requirement: the run may be clean when nothing else is wrong
    assert_promises(run, sandbox, before, seconds=FAST, clean_allowed=shape == "hashes-and-spaces")


def test_a_huge_requirements_file_is_refused_at_once(tmp_path):
    # Before: a 15 MB file took 277 s and 2.1 GB. After: 0.3 s, 60 MiB.
    requirements = "".join(f"package-{i}==1.{i}\n" for i in range(800_000))[: 15 * 2**20]
    check(tmp_path, {"requirements.txt": requirements}, "ML110", "requirements budget")


@pytest.mark.parametrize("separator", ["\n", "\r", "\r\n", "\x0b"])
def test_millions_of_short_lines_are_refused(tmp_path, separator):
    requirements = separator.join(["a"] * (MAX_REQUIREMENTS_CHARS // 2 - 10))  # just under the size budget
    check(tmp_path, {"requirements.txt": requirements}, "ML110", "lines")


def test_a_list_at_the_budget_parses_linearly(tmp_path):
    # 10,000 lines of ~100 bytes (1 MiB, the most the budget admits): 1.3 s whole run, 70 MiB.
    lines = [f"package-{i:05d}=={i % 97}.{i % 13}.0  # {'c' * 60}" for i in range(MAX_REQUIREMENT_LINES - 1)]
    requirements = "\n".join(lines)[: MAX_REQUIREMENTS_CHARS - 1]
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write({**CLEAN, "requirements.txt": requirements})
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise"], sandbox)
    assert_promises(run, sandbox, before, seconds=FAST)
    assert "requirements budget" not in run.stdout, run


@pytest.mark.parametrize("where", ["conda-pip", "conda-dependencies", "python-env"])
def test_a_yaml_requirement_list_over_the_budget_is_refused(tmp_path, where):
    entries = "".join(f"  - p{i}==1\n" for i in range(MAX_REQUIREMENT_LINES + 1))
    files = {
        "conda-pip": {"conda.yaml": "channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip:\n" + entries},
        "conda-dependencies": {"conda.yaml": "dependencies:\n" + entries.replace("  - ", "- ")},
        "python-env": {"python_env.yaml": "python: 3.11.7\ndependencies:\n" + entries.replace("  - ", "- ")},
    }[where]
    check(tmp_path, files, "ML110", "requirements budget")


# --- serialized files: decompression -----------------------------------------------------------------

def deflate_zeros(total: int, prefix: bytes = b"", suffix: bytes = b"") -> bytes:
    """Raw deflate of ``prefix + total zero bytes + suffix``, from one full-flush block repeated: a
    bomb of any size in milliseconds."""
    chunk = 2**20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(b"\0" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == compressor.compress(b"\0" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(b"\0" * (total % chunk) + suffix) + compressor.flush()
    return head + block * (total // chunk) + tail


def zip_of(*members: tuple[str, bytes, int]) -> bytes:
    """A zip written by hand (``(name, data, method)``, 8 = deflated, 0 = stored); the sizes it states
    are lies, as a hostile archive's are: readers that trust them are the ones bombs beat."""
    out, central = bytearray(), bytearray()
    for name, data, method in members:
        encoded, offset = name.encode(), len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, 0, len(data), len(data) if method == 0
                           else 1, len(encoded), 0) + encoded + data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, 0, len(data),
                               len(data) if method == 0 else 1, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    count = len(members)
    return bytes(out + central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), len(out), 0))


def payload_pickle_head(length: int) -> bytes:
    return b"\x80\x02\x8e" + struct.pack("<Q", length)  # BINBYTES8: skipped, which inflates every byte


@pytest.mark.slow
def test_a_deflate_bomb_in_a_torch_zip_stops_at_the_file_budget(tmp_path):
    # A 5.3 MB .pt whose data.pkl inflates to 5 GiB. Before: inflated all 5 GiB (4.9 s CPU) and passed
    # clean (deflated members had no limit). After: stops at 4 GiB, ML303 naming the budget: 5 s, 20 MiB.
    bomb = zip_of(("archive/data.pkl", deflate_zeros(5 * 2**30, payload_pickle_head(5 * 2**30), b"0N."), 8))
    check(tmp_path, {"model.pt": bomb}, "ML303", "decompressed size limit", seconds=30)


@pytest.mark.slow
def test_many_deflated_members_share_one_file_budget(tmp_path):
    # 5,000 members of 1 MiB each (a 5.6 MB file): before, each had its own 4 GiB limit, so 5 GiB were
    # inflated and the file passed. After: stopped at 4 GiB over all members, ML303: 14 s under load, 25 MiB.
    member = deflate_zeros(2**20, payload_pickle_head(2**20), b"0N.")
    archive = zip_of(*((f"archive/data{i}.pkl", member, 8) for i in range(5_000)))
    check(tmp_path, {"model.pt": archive}, "ML303", "decompressed size limit", seconds=60)


def test_the_file_budget_covers_every_member_and_the_model_budget_every_file(tmp_path):
    member = deflate_zeros(2**20, payload_pickle_head(2**20), b"0N.")
    archive = tmp_path / "model.pt"
    archive.write_bytes(zip_of(*((f"archive/data{i}.pkl", member, 8) for i in range(10))))
    result = scan_file(archive, Limits(max_decompressed_bytes=5 * 2**20))
    assert any("decompressed size limit" in problem.reason for problem in result.problems), result.problems
    model = tmp_path / "model"
    model.mkdir()
    for index in range(4):
        (model / f"part{index}.pt").write_bytes(archive.read_bytes())
    files = scan_model_files(model, set(), limits=Limits(max_model_decompressed_bytes=25 * 2**20))
    reasons = [problem.reason for serialized in files for problem in serialized.scan.problems]
    assert any("model decompression budget" in reason for reason in reasons), reasons
    assert not files[0].scan.problems  # the first file is within both budgets


EVIL_TAIL = b"0\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R."  # after the payload: os.system("true")


@pytest.mark.slow
@pytest.mark.parametrize("outer", ["deflated", "stored"])
def test_a_nested_zip_bomb_never_spools_past_its_budget(tmp_path, outer):
    # Before: a 6 MB nested zip wrote a 4.2 GB temporary file. After, a run under an RLIMIT_FSIZE of
    # 300 MiB: a deflated nested zip is spooled up to the 256 MiB budget, then ML303 names it (1.2 s,
    # 25 MiB); a stored one is windowed, never spooled, and read to its end (2 GiB inflated: 2.5 s),
    # where its os.system call is found (ML302).
    inner = zip_of(("data.pkl", deflate_zeros(2 * 2**30, payload_pickle_head(2 * 2**30), EVIL_TAIL), 8))
    if outer == "deflated":  # the inner zip, then 300 MiB of zeros: past the spool budget
        nested = zip_of(("inner.zip", deflate_zeros(300 * 2**20, inner), 8))
    else:
        nested = zip_of(("inner.zip", inner, 0))
    limits = tmp_path / "limits"
    limits.mkdir()
    (limits / "sitecustomize.py").write_text(
        "import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (300 * 2**20, 300 * 2**20))\n")
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write({**CLEAN, "artifacts/bundle.zip": nested})
    env = {"PYTHONPATH": f"{REPO}:{sandbox.canary_dir}:{limits}", "PYTHONDONTWRITEBYTECODE": "1"}
    run = check_sandbox(sandbox, env=env, seconds=30)
    assert "File too large" not in run.stdout, run
    assert ("ML303" if outer == "deflated" else "ML302") in run.stdout, run
    if outer == "deflated":
        assert "spool budget" in run.stdout, run


def many_member_zip(count: int) -> bytes:
    """``count`` empty stored members: only the central directory is big (62 bytes an entry)."""
    out, central = bytearray(), bytearray()
    for index in range(count):
        name, offset = f"{index:07d}".encode(), len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0,
                               0, 0, offset) + name
    small = min(count, 0xFFFF)
    return bytes(out + central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, small, small, len(central), len(out), 0))


def test_a_zip_with_a_huge_central_directory_is_refused_before_it_is_parsed(tmp_path):
    # 400,000 members (34 MB): zipfile alone took 3.2 s and 240 MB to list them (1 M: 8 s, 590 MB).
    # After: the end record's directory size is checked first: 0.4 s, 30 MiB, ML303 naming the budget.
    check(tmp_path, {"model.pt": many_member_zip(400_000)}, "ML303", "zip central directory")


def test_zip_nesting_deeper_than_the_budget_is_reported(tmp_path):
    archive = zip_of(("data.pkl", b"\x80\x04N.", 0))
    for level in range(6):
        archive = zip_of((f"level{level}.zip", archive, 0))
    check(tmp_path, {"artifacts/deep.zip": archive}, "ML303", "nested deeper")


# --- serialized files: the pickle machine ------------------------------------------------------------

def pickle_file(body: bytes) -> dict[str, bytes | str]:
    return {"MLmodel": PICKLE_MLMODEL, "model.skops": b"", "model.pkl": b"\x80\x04" + body}


PICKLE_BOMBS = {
    # each: (body, the budget the report names)
    "stack-of-3M-pushes": (b"N" * 3_000_000 + b".", "stack budget"),
    "200k-nested-marks": (b"(" * 200_000 + b"N.", "MARK nesting budget"),
    "memo-of-2.1M-entries": (b"N\x940" * 2_100_000 + b"N.", "memo budget"),
    "4.1M-values-in-a-list": (b"]" + b"Na" * 4_100_000 + b".", "value budget"),
    "4.1M-values-in-tuples": (b"".join(b"(" + b"N" * 10 + b"t0" for _ in range(410_000)) + b"N.", "value budget"),
    "1M-imports": (b"\x8c\x02os\x94\x8c\x06getcwd\x94\x93" + b"h\x00h\x01\x930" * 1_000_000 + b"N.", "record budget"),
}


@pytest.mark.slow
@pytest.mark.parametrize("bomb", sorted(PICKLE_BOMBS))
def test_a_pickle_over_a_machine_budget_is_reported(tmp_path, bomb):
    # Before: each grew memory with its size (a 10 M-opcode file: 30 s, 484 MB). After: stopped at the
    # budget, 1-5 s (the 2 M memo entries: 190 MiB at the peak), ML303 naming the budget.
    body, budget = PICKLE_BOMBS[bomb]
    check(tmp_path, pickle_file(body), "ML303", budget, seconds=20)


HUGE_VALUES = {
    "long-binput-to-the-largest-index": (b"N\x94r\xff\xff\xff\xffh\x00.", True),  # a dict, never a sized array
    "text-put-index-past-any-memo": (b"Np99999999999999999999999999999999\n.", True),
    "long4-claiming-2-GiB": (b"\x8b" + struct.pack("<i", 2**31 - 1) + b"\x00" * 64 + b".", False),  # seek, truncated
    "long-literal-of-500k-digits": (b"L" + b"9" * 500_000 + b"L\n.", False),  # refused, never converted
    "int-literal-of-5k-digits": (b"I" + b"1" * 5_000 + b"\n.", False),
}


@pytest.mark.parametrize("case", sorted(HUGE_VALUES))
def test_huge_indices_and_integers_cost_nothing(tmp_path, case):
    body, harmless = HUGE_VALUES[case]
    check(tmp_path, pickle_file(body), *(() if harmless else ("ML303",)), clean_allowed=harmless)


SMALL_BUDGETS = {
    # the same attacks against budgets a thousand times smaller: the mechanism, in-process and fast
    "stack": (b"N" * 300_000 + b".", Limits(max_stack_items=100_000), "stack budget"),
    "marks": (b"(" * 3_000 + b"N.", Limits(max_mark_depth=1_000), "MARK nesting budget"),
    "memo": (b"N\x940" * 3_000 + b"N.", Limits(max_memo_entries=2_000), "memo budget"),
    "values-in-a-list": (b"]" + b"Na" * 300_000 + b".", Limits(max_values=100_000), "value budget"),
    "values-in-dicts": (b"}" + b"KaNs" * 30_000 + b".", Limits(max_values=50_000), "value budget"),
    "values-in-call-args": (b"\x8c\x01a\x8c\x01b\x93\x94" + b"h\x00)R0" * 200_000 + b"N.", Limits(max_values=100_000),
                            "value budget"),
    "records": (b"\x8c\x01a\x94\x8c\x01b\x94" + b"h\x00h\x01\x930" * 3_000 + b"N.", Limits(max_records=2_000),
                "record budget"),
}


@pytest.mark.parametrize("case", sorted(SMALL_BUDGETS))
def test_each_machine_budget_stops_its_attack(tmp_path, case):
    body, limits, budget = SMALL_BUDGETS[case]
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04" + body)
    reasons = [problem.reason for problem in scan_file(path, limits).problems]
    assert any(budget in reason for reason in reasons), reasons


def test_many_stacked_tiny_pickles_share_the_opcode_budget(tmp_path):
    stacked = tmp_path / "stacked.pkl"
    stacked.write_bytes(b"N." * 300_000)
    result = scan_file(stacked, Limits(max_opcodes=200_000))
    assert any("opcode budget" in problem.reason for problem in result.problems), result.problems


def test_the_opcode_budget_stops_a_long_cheap_pickle(tmp_path):
    path = tmp_path / "cheap.pkl"
    path.write_bytes(b"\x80\x04" + b"N0" * 1_000_000 + b"N.")
    result = scan_file(path, Limits(max_opcodes=500_000))
    assert any("opcode budget" in problem.reason for problem in result.problems), result.problems
    assert not scan_file(path).problems  # within the default budget: scanned to the end


@pytest.mark.slow
def test_ten_million_cheap_opcodes_stay_bounded(tmp_path):
    # The case. Before: 30 s and 484 MB. After: 10 M opcodes are within the 50 M budget, so the
    # file is read to the end: 7-14 s (machine load), 100 MiB; it is a harmless pickle, so clean is right.
    check(tmp_path, pickle_file(b"N0" * 10_000_000 + b"N."), seconds=60, clean_allowed=True)


def test_a_real_sized_vocabulary_still_scans(tmp_path):
    # The benchmark's CountVectorizer shape: 400k tokens, 1.2 M opcodes, 0.4 M memo entries.
    import pickle

    vocabulary = {f"token{i:06d}": i for i in range(400_000)}
    path = tmp_path / "vocab.pkl"
    path.write_bytes(pickle.dumps(vocabulary, protocol=4))
    result = scan_file(path)
    assert result.problems == (), result.problems


# --- input examples ------------------------------------------------------------------------------

EXAMPLE_MLMODEL = MLMODEL + ("saved_input_example_info:\n  artifact_path: input_example.json\n  type: dataframe\n"
                             "  pandas_orient: split\n")


def _rows(count: int, last: str = "[1.0, 2.0]") -> str:
    return '{"columns": ["a", "b"], "data": [\n' + ",\n".join(["[1.0, 2.0]"] * (count - 1) + [last]) + "\n]}\n"


def test_an_input_example_over_the_budget_is_not_read_and_not_clean(tmp_path):
    """16 MiB of rows took 15 s and 1.2 GB and passed: now a warning naming the budget, at once.
    (Under the 16 MiB text-file limit, so it is the example budget that refuses it.)"""
    files = {**CLEAN, "MLmodel": EXAMPLE_MLMODEL, "input_example.json": _rows(1_200_000)}
    assert 8 * 2**20 < len(files["input_example.json"]) < 16 * 2**20
    run = check(tmp_path, files, "ML401 [warning]", "example budget")
    assert run.peak_rss < 256 * 2**20, run  # the text is read (16 MiB at most), never parsed


def test_a_mismatch_in_the_last_row_of_a_large_example_is_found_at_its_line(tmp_path):
    """Just under the budget, the bad value in the last row is reported at its line; the lines are
    found by indexing the containers on the path only (a walk of every value took seconds)."""
    rows = 300_000
    files = {**CLEAN, "MLmodel": EXAMPLE_MLMODEL, "input_example.json": _rows(rows, last='["x", 2.0]')}
    assert len(files["input_example.json"]) < 4 * 2**20
    run = check(tmp_path, files, "ML401 [error]", seconds=10.0)
    assert f"input_example.json:{rows + 1}:" in run.stdout, run


# --- values in MLmodel --------------------------------------------------------------------------

def test_an_overlong_path_in_mlmodel_is_answered_without_walking_it(tmp_path):
    """A 4 MB `model_path` of `a/a/a/...` (2 M components): every realpath walked it component by
    component, minutes per question. No file has a path that long: it is missing (ML003), at once."""
    mlmodel = MLMODEL.replace("model_path: model.skops", "model_path: " + "a/" * 2_000_000 + "x")
    check(tmp_path, {"MLmodel": mlmodel}, "ML003 [error]", seconds=10.0)


def test_a_signature_nested_past_the_json_decoder_is_invalid_not_a_crash(tmp_path):
    mlmodel = MLMODEL.replace("signature: {inputs: '", "signature: {inputs: '" + "[" * 100_000 + "]" * 100_000 + "', x: '")
    run = check(tmp_path, {"MLmodel": mlmodel}, "ML402 [error]", "nested too deeply")
    assert run.returncode == 1, run


# --- budgets over all the files of a model dir (ModelBudget) ---------------------------------------


def _model_of(tmp_path: Path, files: dict[str, bytes]) -> list:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return sorted(scan_model_files(tmp_path, set(), limits=Limits(max_opcodes=100_000, max_model_opcodes=250_000,
                                                                   max_model_wire_fields=25_000)),
                  key=lambda found: found.relative)


def test_pickles_each_under_their_own_budget_share_the_model_budget(tmp_path):
    # Each file runs 80,000 opcodes, under its own 100,000; the fourth finds the model's 250,000 spent.
    cheap = b"\x80\x04" + b"N0" * 40_000 + b"N."
    scanned = _model_of(tmp_path, {f"part{index}.pkl": cheap for index in range(5)})
    reasons = [[problem.reason for problem in found.scan.problems] for found in scanned]
    assert reasons[:3] == [[], [], []]
    assert all(any("model opcode budget (250,000 opcodes over all its files)" in reason for reason in later)
               for later in reasons[3:]), reasons


def test_onnx_files_each_under_their_own_budget_share_the_model_budget(tmp_path):
    graph = encode_field(1, onnx_node("Relu")) * 5_000  # two fields a node: about 10,000 a file
    model = encode_field(1, 8) + encode_field(7, graph)
    scanned = _model_of(tmp_path, {f"part{index}.onnx": model for index in range(4)})
    reasons = [[problem.reason for problem in found.scan.problems] for found in scanned]
    assert reasons[:2] == [[], []]
    assert any("left of the model's budget over all its files" in reason for reason in reasons[2] + reasons[3]), reasons


@pytest.mark.slow
def test_a_model_dir_of_many_files_at_their_budgets_costs_about_two(tmp_path):
    # Sixteen ONNX files built to hit the per-file field budget: without a model-wide budget their
    # read would cost sixteen times one (about 15 s each on a loaded 2-vCPU VM).
    model = encode_field(1, 8) + encode_field(7, encode_field(1, onnx_node("Relu")) * 1_200_000)
    files = {**onnx_files(model), **{f"extra{index}.onnx": model for index in range(15)}}
    sandbox = Sandbox(tmp_path / "sandbox")
    sandbox.write(files)
    before = sandbox.snapshot()
    run = run_cli(["check", str(sandbox.target), "--format", "concise", "--no-cache"], sandbox, timeout=300.0)
    assert_promises(run, sandbox, before, seconds=120.0)
    assert run.stdout.count("left of the model's budget over all its files") >= 14, run.stdout
