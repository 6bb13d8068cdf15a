"""End-to-end `python -m core analyze` on Online Retail: a cold run (empty caches) and a warm re-run.

Each run is a fresh process, as a user would run it. The cold run gets an empty cache directory
(embeddings, ONNX export, numba); the warm run reuses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.sections import write_section

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"
SAMPLE = ROOT / "sample_data" / "events.csv"


def _analyze(data: Path, out: Path, cache: Path, *extra: str) -> tuple[float, dict]:
    env = {**os.environ, "INTEREST_LENS_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "core", "analyze", str(data), "--out", str(out), *extra]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"analyze failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, data, extra in [
            ("sample data", SAMPLE, ("--label-column", "label")),
            ("Online Retail", RETAIL, ()),
        ]:
            cache = Path(tmp) / f"cache-{label}"  # each dataset starts truly cold
            cold, summary = _analyze(data, Path(tmp) / f"{label}-cold", cache, *extra)
            warm, summary_warm = _analyze(data, Path(tmp) / f"{label}-warm", cache, *extra)
            stages = ", ".join(f"{k} {v:.1f}" for k, v in summary_warm["timings"].items())
            rows.append(
                f"| {label} | {summary['n_users_segmented']:,} | {summary['k']} | {cold:.1f} | {warm:.1f} | "
                f"{cold / warm:.1f}x | {summary_warm['embedding'].get('model_calls', '?')} | {stages} |"
            )
            print(rows[-1], flush=True)
            if summary.get("ari") is not None:
                rows.append(
                    f"| ↳ agreement with `label` | ARI {summary['ari']:.3f} | NMI {summary['nmi']:.3f} | | | | | |"
                )
    body = "\n".join(
        [
            "## End-to-end analyze (fresh process each run)",
            "",
            "Cold = empty cache directory (embeddings, ONNX export, numba JIT cache); warm = same command again.",
            "Targets (Online Retail): cold <= 90 s, warm <= 15 s.",
            "",
            "| data | users | K | cold s | warm s | speed-up | model calls (warm) | warm stages (s) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    )
    write_section("pipeline_bench", body)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
