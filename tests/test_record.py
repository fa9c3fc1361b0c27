"""Record: the value semantics a frozen dataclass would give, and the contract subclasses keep."""

from __future__ import annotations

import ast
import importlib
import inspect
import pickle
import pkgutil
import re
from pathlib import Path

import pytest

import modellint
from modellint.findings import Finding, Severity, Span
from modellint.record import Record
from tests import frozen_records
from tests.frozen_records import RecordMutated


class Point(Record):
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: int = 0) -> None:
        self.x = x
        self.y = y


class Labelled(Point):
    __slots__ = ("label",)
    _uncompared = frozenset({"label"})

    def __init__(self, x: int, y: int = 0, label: str = "") -> None:
        super().__init__(x, y)
        self.label = label


def test_equality_hash_and_order_follow_the_fields() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Point(1, 2), Point(3)}) == 2
    assert sorted([Point(2), Point(1, 5), Point(1, 3)]) == [Point(1, 3), Point(1, 5), Point(2)]
    assert Point(1) <= Point(1) < Point(2) and Point(2) > Point(1) >= Point(1)


def test_instances_of_different_classes_are_never_equal() -> None:
    assert Point(1, 2) != Labelled(1, 2)
    assert Point(1, 2) != (1, 2)
    with pytest.raises(TypeError):
        Point(1) < Labelled(1)  # noqa: B015


def test_fields_are_inherited_in_order_and_uncompared_ones_are_left_out() -> None:
    assert Labelled._fields == ("x", "y", "label")
    assert Labelled(1, 2, "a") == Labelled(1, 2, "b")
    assert hash(Labelled(1, 2, "a")) == hash(Labelled(1, 2, "b"))
    assert repr(Labelled(1, 2, "a")) == "Labelled(x=1, y=2, label='a')"


def test_unshown_fields_stay_out_of_the_repr() -> None:
    class Quiet(Point):
        __slots__ = ("blob",)
        _unshown = frozenset({"blob"})

        def __init__(self, x: int, y: int = 0, blob: bytes = b"") -> None:
            super().__init__(x, y)
            self.blob = blob

    assert repr(Quiet(1, 2, b"x" * 100)).endswith("Quiet(x=1, y=2)")


def test_replace_copies_with_changes_and_rejects_unknown_fields() -> None:
    original = Labelled(1, 2, "a")
    assert original.replace(y=5) == Labelled(1, 5, "a")
    assert original.replace(label="b").label == "b"
    assert original.y == 2
    with pytest.raises(TypeError, match="has no field z"):
        original.replace(z=1)


def test_records_pickle_for_the_worker_processes() -> None:
    finding = Finding("ML103", "conda-defaults-channel", Severity.ERROR, "m", Path("conda.yaml"), Span(3, 5))
    assert pickle.loads(pickle.dumps(finding)) == finding


def _all_record_classes() -> list[type[Record]]:
    for module in pkgutil.walk_packages(modellint.__path__, "modellint."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found, pending = [], list(Record.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("modellint."):
            found.append(cls)
    return found


def test_every_record_init_takes_exactly_its_fields_in_order() -> None:
    """``replace``, ``repr`` and pickling rely on ``__init__`` parameters naming the slots."""
    classes = _all_record_classes()
    assert len(classes) >= 4
    for cls in classes:
        parameters = [name for name in inspect.signature(cls.__init__).parameters if name != "self"]
        assert tuple(parameters) == cls._fields, cls.__qualname__
        # Positional, so that pickling (``__reduce__``) can pass the values in field order.
        kinds = {parameter.kind for parameter in inspect.signature(cls.__init__).parameters.values()}
        assert kinds == {inspect.Parameter.POSITIONAL_OR_KEYWORD}, cls.__qualname__
        # Every class up the chain declares __slots__, so no instance grows a __dict__.
        assert all("__slots__" in klass.__dict__ for klass in cls.__mro__[:-1]), cls.__qualname__


def test_modellint_defines_no_dataclass() -> None:
    """Each dataclass costs 0.7 ms of import time on CPython 3.11 (see ``modellint.record``)."""
    decorator = re.compile(r"^\s*@(dataclasses\.)?dataclass\b", re.MULTILINE)
    sources = Path(modellint.__file__).parent.rglob("*.py")
    offenders = [str(path) for path in sources if decorator.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


# --------------------------------------------------------------------------- records stay values

def test_the_suite_runs_with_records_frozen() -> None:
    """``tests/conftest.py`` installs the guard for the whole run: every other test is a check too."""
    assert frozen_records.installed()


def test_a_field_assigned_or_deleted_after_construction_raises() -> None:
    point = Labelled(1, 2, "a")  # __init__ up the chain (super().__init__) may assign
    with pytest.raises(RecordMutated, match=r"Labelled\.x assigned after construction"):
        point.x = 5
    with pytest.raises(RecordMutated):
        setattr(point, "label", "b")
    with pytest.raises(RecordMutated, match="deleted"):
        del point.y
    assert point == Labelled(1, 2, "a") and point.replace(x=5).x == 5


def test_records_copy_and_pickle_through_their_init() -> None:
    import copy

    finding = Finding("ML103", "conda-defaults-channel", Severity.ERROR, "m", Path("conda.yaml"), Span(3, 5))
    assert copy.copy(finding) == finding and copy.deepcopy(finding) == finding
    assert pickle.loads(pickle.dumps(finding, protocol=pickle.HIGHEST_PROTOCOL)) == finding


def test_record_defines_no_setattr_so_construction_stays_fast() -> None:
    """The guard is the test suite's: in production a record's ``__init__`` assigns plain slots."""
    tree = ast.parse((Path(modellint.__file__).parent / "record.py").read_text(encoding="utf-8"))
    (record,) = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Record"]
    methods = {node.name for node in record.body if isinstance(node, ast.FunctionDef)}
    assert not methods & {"__setattr__", "__delattr__", "__setstate__"}


_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update",
                       "setdefault", "popitem", "add", "discard", "difference_update", "intersection_update",
                       "symmetric_difference_update"})


def _named(annotation: ast.expr | None) -> set[str]:
    """The class names an annotation gives a variable itself (``X``, ``X | None``, ``Optional[X]``,
    ``"X"``); a container of records (``list[X]``) gives none."""
    if annotation is None:
        return set()
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return _named(ast.parse(annotation.value, mode="eval").body)
        except SyntaxError:
            return set()
    if isinstance(annotation, ast.Name):
        return {annotation.id}
    if isinstance(annotation, ast.Attribute):
        return {annotation.attr}
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _named(annotation.left) | _named(annotation.right)
    if isinstance(annotation, ast.Subscript) and _named(annotation.value) == {"Optional"}:
        return _named(annotation.slice)
    return set()


def _callee(call: ast.expr) -> str | None:
    if isinstance(call, ast.Call):
        return call.func.id if isinstance(call.func, ast.Name) else \
            call.func.attr if isinstance(call.func, ast.Attribute) else None
    return None


def record_mutations(root: Path, records: dict[str, set[str]]) -> list[str]:
    """Statements under ``root`` that change a record after construction, found statically.

    ``records`` maps a record class name to its fields. A variable is known to hold a record when
    its annotation names one (parameters, ``x: R = ...``), when it is assigned a record's
    construction or the call of a function annotated to return one, and ``self.a`` when
    ``__init__`` stores such a parameter there. A change is an assignment, augmented assignment or
    deletion of ``v.field`` (or of an item of it), a mutating method call on ``v.field``
    (``append``, ``sort``, ``update``...) and ``setattr``/``delattr`` on ``v``. The runtime guard
    of the test suite catches assignments on any path the tests run; this catches the in-place
    changes of a field's list or dict, which no ``__setattr__`` sees, on every path.
    """
    sources = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(root.rglob("*.py"))}
    returns: dict[str, set[str]] = {}
    for tree in sources.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                returns.setdefault(node.name, set()).update(_named(node.returns) & records.keys())
    found: dict[tuple[str, int], str] = {}  # where -> the statement (a nested function is walked twice)

    def record_type(value: ast.expr) -> set[str]:
        name = _callee(value)
        if name is None:
            return set()
        return {name} & records.keys() or returns.get(name, set())

    def check(function: ast.FunctionDef | ast.AsyncFunctionDef, attributes: dict[str, set[str]], path: Path) -> None:
        typed: dict[str, set[str]] = {}
        arguments = function.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if _named(argument.annotation) & records.keys():
                typed[argument.arg] = _named(argument.annotation) & records.keys()
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if record_type(node.value):
                    typed[node.targets[0].id] = record_type(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if _named(node.annotation) & records.keys():
                    typed[node.target.id] = _named(node.annotation) & records.keys()

        def fields_of(receiver: ast.expr) -> set[str]:
            if isinstance(receiver, ast.Name) and receiver.id in typed:
                classes = typed[receiver.id]
            elif (isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name)
                  and receiver.value.id == "self" and receiver.attr in attributes):
                classes = attributes[receiver.attr]
            else:
                return set()
            return set().union(*(records[name] for name in classes))

        def changed(target: ast.expr) -> bool:
            if isinstance(target, (ast.Tuple, ast.List)):
                return any(changed(element) for element in target.elts)
            if isinstance(target, ast.Starred):
                return changed(target.value)
            if isinstance(target, ast.Subscript):
                target = target.value
            return isinstance(target, ast.Attribute) and target.attr in fields_of(target.value)

        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                change = any(changed(target) for target in node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                change = changed(node.target)
            elif isinstance(node, ast.Delete):
                change = any(changed(target) for target in node.targets)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                change = node.func.attr in _MUTATORS and changed(node.func.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
                change = node.func.id in ("setattr", "delattr") and bool(fields_of(node.args[0]))
            else:
                change = False
            if change:
                found[path.relative_to(root.parent).as_posix(), node.lineno] = ast.unparse(node).splitlines()[0]

    for path, tree in sources.items():
        classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        methods = {id(item) for cls in classes for item in cls.body}
        for cls in classes:
            attributes: dict[str, set[str]] = {}
            for item in cls.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    parameters = {argument.arg: _named(argument.annotation) & records.keys()
                                  for argument in item.args.args}
                    for statement in ast.walk(item):
                        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                                and isinstance(statement.targets[0], ast.Attribute)
                                and isinstance(statement.targets[0].value, ast.Name)
                                and statement.targets[0].value.id == "self" and isinstance(statement.value, ast.Name)
                                and parameters.get(statement.value.id)):
                            attributes[statement.targets[0].attr] = parameters[statement.value.id]
            for item in cls.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    check(item, attributes, path)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(node) not in methods:
                check(node, {}, path)
    return [f"{path}:{line}: {statement}" for (path, line), statement in sorted(found.items())]


def test_nothing_in_modellint_changes_a_record_after_building_it() -> None:
    """Build the final value (collect in locals, construct once, or ``replace``); a builder that
    must change as it goes (``Facts`` of a pickle scan, ``fix_runner._Progress``) is a plain class."""
    records: dict[str, set[str]] = {}
    for cls in _all_record_classes():
        records.setdefault(cls.__name__, set()).update(cls._fields)
    assert record_mutations(Path(modellint.__file__).parent, records) == []


def test_the_static_check_sees_each_kind_of_change(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "def build() -> Report:\n"
        "    return Report()\n"
        "def f(report: Report | None, other: list[Report]) -> None:\n"
        "    report.findings = []\n"                 # 4: assignment
        "    report.findings += [1]\n"              # 5: augmented assignment
        "    del report.findings\n"                  # 6: deletion
        "    report.findings[:0] = [1]\n"            # 7: an item of a field
        "    report.findings.sort()\n"               # 8: a mutating method of a field
        "    setattr(report, 'findings', [])\n"      # 9: setattr
        "    other.append(1)\n"                      # a list of records: not a record
        "    report.findings.count(1)\n"             # reads
        "    fresh = build()\n"
        "    fresh.failures.append(1)\n"             # 13: a function annotated to return one
        "    made = Report()\n"
        "    made.failures, x = [], 1\n"             # 15: tuple target
        "class Holder:\n"
        "    def __init__(self, report: Report) -> None:\n"
        "        self.report = report\n"
        "        self.report.findings.clear()\n"     # 19: through self
        "    def g(self) -> None:\n"
        "        self.report.findings.append(1)\n"   # 21
        "        self.other = 1\n",
        encoding="utf-8")
    found = record_mutations(package, {"Report": {"findings", "failures"}})
    assert [int(line.split(":")[1]) for line in found] == [4, 5, 6, 7, 8, 9, 13, 15, 19, 21], found
