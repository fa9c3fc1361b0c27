"""The code a training call's model runs, followed through the project's own modules.

From the code a call names (a ``PythonModel`` class, a ``loader_module``), which modules loading
the model imports and which imports run only when it predicts; first-party modules are read
one at a time, only when an import reaches them, so a monorepo is never parsed whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from modellint.analyzer.project.log_calls import SourceFile, read_source
from modellint.analyzer.project.sources import lexically_below, package_of, resolve_module

if TYPE_CHECKING:
    from modellint.analyzer.code.source_imports import ImportFact, ModuleScan
    from modellint.analyzer.project.python_model import ModelCode


class CodeGraph:
    """Import facts of the code the model runs, following first-party modules lazily."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        self.roots = roots
        self._scans: dict[Path, ModuleScan] = {}
        self.load_time_files: list[Path] = []  # first-party files imported while loading

    def scan(self, path: Path) -> ModuleScan:
        if path not in self._scans:
            from modellint.analyzer.code.source_imports import scan_file

            # The roots end with the project root: a file resolving outside it is never read.
            self._scans[path] = scan_file(path, package=package_of(path, self.roots), root=self.roots[-1])
        return self._scans[path]

    def model_code_scans(self, code: ModelCode | None) -> tuple[ModuleScan, ...]:
        """For a by-value class: the scan of its file, restricted to what is pickled with it."""
        if code is None or not code.by_value or code.source is None:
            return ()
        scan = self.scan(code.path)
        referenced = {code.source.aliases[name] for name in code.referenced_names if name in code.source.aliases}
        kept = tuple(fact for fact in scan.imports
                     if code.runs_line(fact.span.line) or (not fact.lazy and _binds_any(fact, referenced)))
        return (scan.replace(imports=kept,
                             dynamic_unknown=tuple(span for span in scan.dynamic_unknown if code.runs_line(span.line)),
                             calls=tuple(call for call in scan.calls if code.runs_line(call.span.line))),)

    def runtime_imports(self, code: ModelCode | None,
                        by_value_scans: tuple[ModuleScan, ...]) -> tuple[list[str], list[ImportFact]]:
        """Modules imported while the model loads, and the import facts that run only in predict."""
        load: list[str] = []
        predict: list[ImportFact] = []
        if code is None:
            return load, predict
        if code.by_value:
            facts = [fact for scan in by_value_scans for fact in scan.imports]
        elif code.kind == "loader_module":
            path = resolve_module(code.module or "", self.roots)
            facts = list(self.scan(path).imports) if path and path.is_file() else []
            code = code.replace(path=path or code.path, source=_parsed(path)) if path and path.is_file() else code
        else:
            facts = list(self.scan(code.path).imports)
            self._note_load_file(code.path)
        pending: list[ImportFact] = []
        for fact in facts:
            if fact.type_checking or fact.optional:
                continue
            phase = "load" if (code.by_value and not fact.lazy) else code.phase(fact.span.line)
            if phase == "load":
                pending.append(fact)
            elif phase == "predict":
                predict.append(fact)
        seen: set[Path] = set()
        while pending:
            fact = pending.pop(0)
            module = self._absolute_module(fact)
            load.append(module)
            for target in self._first_party_targets(module, fact):
                if target in seen:
                    continue
                seen.add(target)
                self._note_load_file(target)
                pending.extend(f for f in self.scan(target).imports
                               if not (f.lazy or f.type_checking or f.optional))
        # A first-party module that predict imports runs its module-level imports then, too:
        # `from src.utils import render` inside predict imports whatever src/utils.py imports.
        pending = list(predict)
        while pending:
            fact = pending.pop(0)
            for target in self._first_party_targets(self._absolute_module(fact), fact):
                if target in seen:
                    continue
                seen.add(target)
                found = [f for f in self.scan(target).imports if not (f.lazy or f.type_checking or f.optional)]
                predict.extend(found)
                pending.extend(found)
        return load, predict

    def _note_load_file(self, path: Path) -> None:
        """A first-party file imported while loading, with its packages' ``__init__`` files."""
        for file in [path, *(parent / "__init__.py" for parent in path.parents)]:
            if not any(lexically_below(file, root) and file != root for root in self.roots):
                break
            if file.is_file() and file not in self.load_time_files:
                self.load_time_files.append(file)

    def _absolute_module(self, fact: ImportFact) -> str:
        if not fact.level:
            return fact.module
        package = package_of(fact.path, self.roots) or ""
        parts = package.split(".") if package else []
        base = parts[: len(parts) - (fact.level - 1)] if fact.level > 1 else parts
        return ".".join([*base, fact.module] if fact.module else base)

    def _first_party_targets(self, module: str, fact: ImportFact) -> list[Path]:
        targets = []
        for name in [module, *(f"{module}.{item}" for item in fact.names)]:
            path = resolve_module(name, self.roots) if name else None
            if path is not None and path.is_file() and path.suffix == ".py":
                targets.append(path)
        return targets


def _parsed(path: Path | None) -> SourceFile | None:
    if path is None:
        return None
    parsed = read_source(path)
    return parsed if isinstance(parsed, SourceFile) else None


def _binds_any(fact: ImportFact, referenced: set[str]) -> bool:
    module = fact.module
    return any(target == module or target.startswith(module + ".") or module.startswith(target + ".")
               for target in referenced)
