"""Load time of the knowledge base and the cost of its common queries.

Run: python benchmarks/bench_knowledge.py   (target: the first load in a few tens of ms)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from modellint.analyzer.knowledge import distributions as knowledge  # noqa: E402
from modellint.analyzer.knowledge import stdlib  # noqa: E402


def median_ms(action, repeat: int = 15) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def cold_load() -> None:
    knowledge._read_data.cache_clear()
    knowledge.KnowledgeBase(knowledge._read_data())


def fresh_process_ms() -> float:
    """First load() in a new interpreter, import of the package included."""
    code = (
        "import time; t=time.perf_counter(); from modellint.analyzer.knowledge import distributions as knowledge; "
        "knowledge.load(); print((time.perf_counter()-t)*1000)"
    )
    samples = [
        float(subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout)
        for _ in range(7)
    ]
    return statistics.median(samples)


def main() -> None:
    kb = knowledge.load()
    print(f"data file: {knowledge.DATA_FILE.stat().st_size / 1024:.0f} KiB, {len(kb.distributions())} distributions")
    print(f"load (read + index), median: {median_ms(cold_load):.1f} ms")
    print(f"first load in a fresh process, median: {fresh_process_ms():.1f} ms")
    modules = ["cv2", "google.cloud.storage.blob", "sklearn.ensemble", "yaml", "PIL.Image", "azure.storage.blob"]
    print(f"providers+suggest x{len(modules)}, median: {median_ms(lambda: [kb.suggest(m) for m in modules]) * 1000:.0f} us")
    kb._edges_cache.clear()
    print(f"closure(mlflow) uncached: {median_ms(lambda: kb.closure([('mlflow', frozenset())], (3, 11)), repeat=1):.1f} ms")
    print(f"closure(mlflow) cached, median: {median_ms(lambda: kb.closure([('mlflow', frozenset())], (3, 11))):.2f} ms")
    print(f"stdlib_modules(3.11) first call: {median_ms(lambda: stdlib.stdlib_modules((3, 11)), repeat=1):.1f} ms")


if __name__ == "__main__":
    main()
