"""Run-time estimate versus actual (issue 12, Deliver 5): one cold run per dataset, fresh vector cache.

The estimate is the one the page shows once the model has measured its speed on the run's first
block of texts (core.estimate.estimate_run with the first measured speed); the actual is the wall
time of the same core.pipeline.run_analysis. Target: estimate / actual within 0.5-2.0 everywhere.
Each dataset runs in its own process (a fresh cache, and UMAP/numba state as a new server has it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "datasets"
CASES = {
    "sample": (ROOT / "sample_data" / "events.csv", None),
    "amazon_reviews_2018_small5core": (DATA / "amazon_reviews_2018_small5core" / "reviews.csv.gz", None),
    "online_retail": (DATA / "online_retail" / "online_retail.csv.gz", None),
    "movielens_latest_small": (
        DATA / "movielens_latest_small" / "ratings.csv.gz",
        DATA / "movielens_latest_small" / "movies.csv.gz",
    ),
}


def measure(name: str) -> dict:
    """Estimate and actual seconds for one dataset (runs in this process; call via a subprocess)."""
    import os
    import tempfile
    import time

    os.environ["INTEREST_LENS_CACHE"] = tempfile.mkdtemp(prefix="estimate-bench-")
    from core.config import AnalysisConfig
    from core.embed.embedding import make_embedder
    from core.estimate import estimate_run, run_work, speed_of
    from core.ingest.dataset import load_dataset
    from core.pipeline import run_analysis

    events, items = CASES[name]
    dataset = load_dataset(events, items=items)
    embedder = make_embedder(None)
    work = run_work(dataset, embedder, auto_k=True)
    first: dict[str, float] = {}

    def progress(fraction: float, message: str) -> None:
        if "speed" not in first and (speed := speed_of(embedder)):
            first["speed"] = speed

    start = time.perf_counter()
    analysis = run_analysis(dataset, AnalysisConfig(), embedder=embedder, progress=progress)
    actual = time.perf_counter() - start
    plan = estimate_run(work, first.get("speed") or speed_of(embedder) or 1_000.0)
    return {"estimate": plan.total, "actual": actual, "stages": plan.stages, "timings": analysis.timings}


def main() -> None:
    from bench.sections import write_section

    rows = []
    for name, (events, _) in CASES.items():
        if not events.exists():
            continue
        code = f"import json; from bench.estimate_bench import measure; print(json.dumps(measure({name!r})))"
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=1800
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        ratio = result["estimate"] / result["actual"]
        print(name, result, flush=True)
        verdict = "met" if 0.5 <= ratio <= 2.0 else "MISSED"
        rows.append(
            f"| {name} | {result['estimate']:.1f} | {result['actual']:.1f} | {ratio:.2f} | {verdict} |"
        )
    body = "\n".join(
        [
            "## Run-time estimates versus actual",
            "",
            "One cold analysis per dataset (fresh vector cache, own process), estimate from the first",
            "measured embedding speed, as the page shows it. Target: estimate / actual in 0.5-2.0.",
            "",
            "| dataset | estimate s | actual s | estimate / actual | within 2x |",
            "| --- | --- | --- | --- | --- |",
            *rows,
        ]
    )
    write_section("estimate", body)


if __name__ == "__main__":
    main()
