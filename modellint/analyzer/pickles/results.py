"""What a static read of a serialized file found: the public result types and the collector."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GlobalRef:
    module: str
    name: str
    offset: int
    member: str | None
    opcode: str


@dataclass(frozen=True)
class CallSite:
    callable: GlobalRef
    opcode: str
    offset: int
    member: str | None


@dataclass(frozen=True)
class EmbeddedCode:
    qualname: str | None
    imports: tuple[str, ...]
    names: tuple[str, ...]
    python_minor: tuple[int, int] | None
    offset: int
    member: str | None
    python_minors: tuple[tuple[int, int], ...] = ()
    dynamic_imports: tuple[str, ...] = ()  # literal names given to import_module/__import__
    opaque_dynamic_import: bool = False  # such a call with a name computed at run time


@dataclass(frozen=True)
class Problem:
    reason: str
    offset: int | None
    member: str | None


@dataclass(frozen=True)
class ScanResult:
    path: Path
    kind: str | None
    globals: tuple[GlobalRef, ...]
    calls: tuple[CallSite, ...]
    subimports: tuple[str, ...]
    embedded_code: tuple[EmbeddedCode, ...]
    skops_types: tuple[str, ...]
    problems: tuple[Problem, ...]
    skops_untrusted: tuple[str, ...] = ()

    def imported_modules(self) -> set[str]:
        """Every module a load would import: globals, subimports, skops types, embedded-code imports."""
        modules = {ref.module for ref in self.globals}
        modules.update(self.subimports)
        modules.update(type_name.rpartition(".")[0] for type_name in self.skops_types)
        for code in self.embedded_code:
            modules.update(code.imports)
        modules.discard("")
        return modules


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile file from exhausting time or memory."""

    max_decompressed_bytes: int = 4 * 2**30
    max_zip_depth: int = 3
    max_retained_bytes: int = 128 * 2**20  # string/bytes values kept for analysis; later ones become opaque
    max_kept_value_bytes: int = 64 * 2**10  # longer strings/bytes are skipped with seek, never read
    max_line_bytes: int = 2**20


class Unscannable(Exception):
    """Stops reading one stream; the message becomes a Problem."""

    def __init__(self, reason: str, offset: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


@dataclass
class Facts:
    limits: Limits
    globals: list[GlobalRef] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    subimports: list[str] = field(default_factory=list)
    embedded: list[EmbeddedCode] = field(default_factory=list)
    skops_types: list[str] = field(default_factory=list)
    skops_untrusted: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    retained_bytes: int = 0
    joblib_arrays: int = 0

    def problem(self, reason: str, offset: int | None, member: str | None) -> None:
        self.problems.append(Problem(reason, offset, member))


class ProbeHit(Exception):
    """Raised in probe mode: the stream imports something before any load error, so it is a pickle."""
