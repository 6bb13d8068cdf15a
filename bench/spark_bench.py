"""Spark local engine vs the local engine: wall time per stage, ARI vs the planted interests, and
parity (ARI between the engines, ingest report, profile cosine) on Online Retail.

1. Generated data (bench/scale_data.py, 8 planted interests): `python -m core analyze --k 8
   --label-column label` with and without `--engine spark --master local[2]`, each in a fresh process
   with the same embedding cache (filled by the local run, so its embed stage is cold and the Spark
   run's warm). The local run is the baseline of the ratio column.
2. Online Retail (../shared/datasets/online_retail) at K=8, seed 42: core.engines.spark_parity.

    python -m bench.spark_bench [USERS] [--no-parity]   # default 100,000 users (10 events each)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from bench.scale_bench import run_analyze
from bench.sections import write_section

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"
STAGES = ["ingest", "embed", "profiles", "k_advice", "segment", "projection", "insights", "export"]


def _stage_row(label: str, result: dict, baseline: float) -> str:
    timings = result["summary"].get("timings", {})
    stages = " | ".join(f"{timings.get(s, 0):.1f}" for s in STAGES)
    ari = result["summary"].get("ari")
    return (
        f"| {label} | {result['seconds']:.0f} | {result['seconds'] / baseline:.2f} | {stages} | "
        f"{'-' if ari is None else f'{ari:.3f}'} |"
    )


def generated(users: int) -> tuple[list[str], list[float]]:
    from bench.scale_data import generate, write

    events, items = users * 10, max(2_000, users // 5)
    rows, loads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        data = write(generate(users, events, items), Path(tmp) / "events.parquet")
        cache = Path(tmp) / "cache"
        results = {}
        for label, extra in (
            ("local", ()),
            ("spark local[2]", ("--engine", "spark", "--master", "local[2]")),
        ):
            loads.append(os.getloadavg()[0])
            results[label] = run_analyze(
                data, Path(tmp) / label.split()[0], cache, *extra, "--projection", "pca"
            )
            loads.append(os.getloadavg()[0])
        base = results["local"]["seconds"]
        rows = [f"{users:,} users / {events:,} events / {items:,} item texts:", ""]
        header = "| engine | total s | vs local | " + " | ".join(STAGES) + " | ARI vs planted |"
        rows += [header, "|" + "---|" * (header.count("|") - 1)]
        rows += [_stage_row(label, result, base) for label, result in results.items()]
    return rows, loads


def retail() -> list[str]:
    from core.engines.spark_parity import parity

    if not RETAIL.exists():
        return ["Online Retail not found; parity not measured."]
    p = parity(RETAIL, k=8, seed=42)
    return [
        f"Online Retail at K=8, seed 42 ({p['n_users']:,} users, {p['n_items']:,} items): ARI between the "
        f"engines **{p['ari']:.3f}**; ingest reports equal: **{p['report_equal']}** "
        f"(differing fields: {', '.join(p['report_diff']) or 'none'}); item texts differing: "
        f"{p['texts_differ']}; profile cosine min {p['cosine_min']:.4f}, mean {p['cosine_mean']:.4f}; "
        f"local {p['local_s']:.0f} s, Spark {p['spark_s']:.0f} s (in-process, one SparkSession).",
    ]


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    users = int(args[0]) if args and args[0].isdigit() else 100_000
    stage_rows, loads = generated(users)
    parity_rows = ["Online Retail parity: not run (--no-parity)."] if "--no-parity" in args else retail()
    body = "\n".join(
        [
            "## Spark engine: local mode vs the local engine (`bench/spark_bench.py`)",
            "",
            "Generated data (`bench/scale_data.py`, 8 planted interests, 10 events per user),",
            "`python -m core analyze --k 8 --label-column label --projection pca`, a fresh process per run,",
            "one embedding cache: the local run fills it (its embed column is cold), the Spark run reads",
            "it warm, so compare the other stage columns. Stage columns are seconds from summary.json.",
            "",
            *stage_rows,
            "",
            *parity_rows,
            "",
            f"Load average (1 min) at the start/end of each run: {', '.join(f'{v:.1f}' for v in loads)}.",
        ]
    )
    write_section("spark", body)
    print(body)


if __name__ == "__main__":
    main()
