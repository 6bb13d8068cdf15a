"""`make bench`: every benchmark in one go; each writes its own section of docs/benchmarks.md."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = [
    "embed_bench",
    "sentiment_bench",
    "pipeline_bench",
    "recsys_bench",
    "tfidf_bench",
    "estimate_bench",
    "serve_bench",
    "activate_bench",
    "representation_bench",
    "scale_bench",
    "longtext_bench",
    "spark_bench",
]


ARGS = {
    "scale_bench": ["--engine", "both"],
    "spark_bench": [],
}  # benches that take arguments: what `make bench` runs


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    wanted = argv or BENCHES
    failed = []
    for name in wanted:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            module.main(ARGS[name]) if name in ARGS else module.main()
        except Exception as exc:  # a failed bench must not hide the others' results
            failed.append(name)
            print(f"!! {name} failed: {exc!r}", flush=True)
        print(f"== {name}: {time.perf_counter() - start:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
