"""The Python and platform a model's environment is built for: what "will it install" is asked of.

By default the declared Python (python_env.yaml, else conda's ``python=``, else MLmodel's
``python_version``) on Linux x86_64, where MLflow's serving images, Azure ML and Databricks build
it. A team serving elsewhere (an aarch64 image, a Mac) asks about that platform instead; this one
value is what every installability check reads, so that an option or a deployment target sets it
in one place.
"""

from __future__ import annotations

from modellint.record import Record

# platform name -> (wheel platform class of releases.py, sys_platform, platform_system,
# platform_machine, uv's --python-platform target): the platforms the wheel summary can answer for.
PLATFORMS: dict[str, tuple[str, str, str, str, str]] = {
    "linux/x86_64": ("L", "linux", "Linux", "x86_64", "x86_64-manylinux_2_28"),
    "linux/aarch64": ("l", "linux", "Linux", "aarch64", "aarch64-manylinux_2_28"),
    "linux-musl/x86_64": ("M", "linux", "Linux", "x86_64", "x86_64-unknown-linux-musl"),
    "linux-musl/aarch64": ("m", "linux", "Linux", "aarch64", "aarch64-unknown-linux-musl"),
    "macos/x86_64": ("X", "darwin", "Darwin", "x86_64", "x86_64-apple-darwin"),
    "macos/arm64": ("A", "darwin", "Darwin", "arm64", "aarch64-apple-darwin"),
    "windows/x86_64": ("W", "win32", "Windows", "AMD64", "x86_64-pc-windows-msvc"),
}
DEFAULT_PLATFORM = "linux/x86_64"


class ServingPlatform(Record):
    """CPython ``python`` (``(3, 10)`` or, when declared in full, ``(3, 10, 11)``) on ``platform``
    (a key of :data:`PLATFORMS`)."""

    __slots__ = ("python", "platform")

    def __init__(self, python: tuple[int, ...], platform: str = DEFAULT_PLATFORM) -> None:
        if len(python) < 2 or platform not in PLATFORMS:
            raise ValueError(f"not a serving platform: Python {python} on {platform}")
        self.python = python
        self.platform = platform

    @property
    def minor(self) -> tuple[int, int]:
        return self.python[0], self.python[1]

    @property
    def python_text(self) -> str:
        return ".".join(str(part) for part in self.python)

    @property
    def wheel_platform(self) -> str:
        return PLATFORMS[self.platform][0]

    @property
    def sys_platform(self) -> str:
        return PLATFORMS[self.platform][1]

    @property
    def resolver_platform(self) -> str:
        """The target uv resolves for (``uv pip compile --python-platform``)."""
        return PLATFORMS[self.platform][4]

    @property
    def description(self) -> str:
        """``Python 3.10.11 on linux/x86_64``, for messages."""
        return f"Python {self.python_text} on {self.platform}"

    def python_versions(self) -> tuple[str, ...]:
        """The full versions the Python may be: itself when declared in full, else its first and
        a late patch release (a Requires-Python such as ``>=3.8.1`` excludes only some)."""
        if len(self.python) >= 3:
            return (self.python_text,)
        return f"{self.python_text}.0", f"{self.python_text}.99"

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker variables of this Python and platform."""
        _, sys_platform, system, machine, _ = PLATFORMS[self.platform]
        version = f"{self.python[0]}.{self.python[1]}"
        full = self.python_text if len(self.python) >= 3 else f"{version}.0"
        return {"implementation_name": "cpython", "implementation_version": full,
                "os_name": "nt" if sys_platform == "win32" else "posix", "platform_machine": machine,
                "platform_python_implementation": "CPython", "platform_release": "", "platform_system": system,
                "platform_version": "", "python_full_version": full, "python_version": version,
                "sys_platform": sys_platform, "extra": ""}
