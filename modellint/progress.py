"""One progress line on stderr while a long run works, for the person watching a terminal.

``modellint: linted 812/2000 targets`` (or ``fetched 3/10 model versions``), rewritten in place
and cleared at the end, so that the report on stdout, piped or not, never holds any of it. It
shows only when stderr is a terminal, and only once the run has taken ``delay`` seconds: a
run that ends sooner never draws it. ``advance`` may be called from several threads (the
registry's downloads).
"""

from __future__ import annotations

import sys
import time
from _thread import allocate_lock  # threading.Lock itself, without importing threading
from typing import Any


class ProgressLine:
    def __init__(self, total: int, verb: str, noun: str, *, enabled: bool, delay: float = 1.0) -> None:
        self.total = total
        self.verb = verb
        self.noun = noun
        self.enabled = enabled and total > 1
        self.delay = delay
        self.done = 0
        self._started = time.monotonic()
        self._drawn = False
        self._lock = allocate_lock()

    def __enter__(self) -> ProgressLine:
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            if self.enabled and (self._drawn or time.monotonic() - self._started >= self.delay):
                self._drawn = True
                sys.stderr.write(f"\rmodellint: {self.verb} {self.done}/{self.total} {self.noun}")
                sys.stderr.flush()

    def close(self) -> None:
        """Clear the line (what follows starts at the left margin); later calls draw nothing."""
        with self._lock:
            if self._drawn:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
            self.enabled = self._drawn = False


def is_terminal(stream: Any) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False
