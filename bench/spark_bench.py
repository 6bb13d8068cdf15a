"""Spark local engine vs the local engine: wall time per stage, ARI vs the planted interests, and
parity (ARI between the engines, ingest report, profile cosine) on Online Retail.

1. Generated data (bench/scale_data.py, 8 planted interests): `python -m core analyze --k 8
   --label-column label` with and without `--engine spark --master local[2]`, each in a fresh process
   with the same embedding cache (filled by the local run, so its embed stage is cold and the Spark
   run's warm). The local run is the baseline of the ratio column.
2. Online Retail (../shared/datasets/online_retail), core.engines.spark_parity at the advised K
   and at K=8, seeds 42 and 1 (PARITY_RUNS).

    python -m bench.spark_bench                          # Online Retail parity (what `make bench` runs)
    python -m bench.spark_bench USERS [--no-parity]      # and generated data, local vs Spark
    python -m bench.spark_bench --parity-only            # print the parity rows, docs untouched
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


PARITY_RUNS = [(None, 42), (None, 1), (8, 42), (8, 1)]  # (K, seed); K None = each engine advises


def retail() -> list[str]:
    from core.engines.spark_parity import parity
    from core.engines.spark_session import get_session

    if not RETAIL.exists():
        return ["Online Retail not found; parity not measured."]
    session = get_session("local[2]")
    rows = [
        "Online Retail parity (`core.engines.spark_parity`, in-process, one SparkSession local[2];",
        "K advised = each engine runs its own K advice):",
        "",
        "| K asked | seed | K local / Spark | ARI between engines | ingest reports equal | item texts differing "
        "| profile cosine min / mean | local s | Spark s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for k, seed in PARITY_RUNS:
        p = parity(RETAIL, k=k, seed=seed, spark=session)
        print(p, flush=True)
        rows.append(
            f"| {'advised' if k is None else k} | {seed} | {p['k_local']} / {p['k_spark']} | **{p['ari']:.3f}** | "
            f"{p['report_equal']}{'' if p['report_equal'] else ' (' + ', '.join(p['report_diff']) + ')'} | "
            f"{p['texts_differ']} | {p['cosine_min']:.4f} / {p['cosine_mean']:.4f} | {p['local_s']:.0f} | "
            f"{p['spark_s']:.0f} |"
        )
    rows += ["", f"{p['n_users']:,} users, {p['n_items']:,} items."]
    return rows


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if "--parity-only" in args:
        print("\n".join(retail()))
        return
    # Generated data at scale is bench/scale_bench.py --engine both (section "scale_spark"); here only
    # when a size is asked for.
    users = next((int(a) for a in args if a.isdigit()), None)
    stage_rows, loads = generated(users) if users else ([], [])
    parity_rows = ["Online Retail parity: not run (--no-parity)."] if "--no-parity" in args else retail()
    generated_intro = [
        "Generated data (`bench/scale_data.py`, 8 planted interests, 10 events per user),",
        "`python -m core analyze --k 8 --label-column label --projection pca`, a fresh process per run,",
        "one embedding cache: the local run fills it (its embed column is cold), the Spark run reads",
        "it warm, so compare the other stage columns. Stage columns are seconds from summary.json.",
        "",
        *stage_rows,
        "",
    ]
    body = "\n".join(
        [
            "## Spark engine: parity with the local engine (`bench/spark_bench.py`)",
            "",
            'Time and memory at 100k and 1M users: section "Scale on the Spark engine".',
            "",
            *(generated_intro if users else []),
            *parity_rows,
            "",
            f"Load average (1 min) now: {os.getloadavg()[0]:.1f}"
            + (
                f"; at the start/end of each generated run: {', '.join(f'{v:.1f}' for v in loads)}."
                if loads
                else "."
            ),
        ]
    )
    write_section("spark", body)
    print(body)


if __name__ == "__main__":
    main()
