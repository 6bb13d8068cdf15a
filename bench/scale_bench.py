"""Scale: `python -m core analyze` on generated data at 100k, 300k and 1M users (bench/scale_data.py).

Each run is a fresh process (as a user runs it) with its own cache directory: a cold run (empty
embedding cache) and, for the largest size, a warm re-run. Wall time per stage comes from
summary.json's `timings`; peak RSS is the child's `ru_maxrss` (resource.getrusage), which counts
the whole process including numpy/torch buffers. The load average is recorded with the figures:
the machine is shared.

    python -m bench.scale_bench              # 100k, 300k, 1M (the 1M run takes minutes)
    python -m bench.scale_bench 100000       # one size
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.sections import write_section

ROOT = Path(__file__).resolve().parents[1]
SIZES = [  # users, events, item texts
    (100_000, 1_000_000, 20_000),
    (300_000, 3_000_000, 30_000),
    (1_000_000, 10_000_000, 50_000),
]
STAGES = ["ingest", "embed", "profiles", "k_advice", "segment", "projection", "insights", "export"]


def run_analyze(data: Path, out: Path, cache: Path, *extra: str, timeout: int = 1500) -> dict:
    """One analyze in a child process: wall seconds, peak RSS (GB), summary.json."""
    # Cold = empty embedding cache; numba's compiled UMAP kernels are a one-time cost per machine
    # (core/segment/projection.py), kept in their own directory across runs.
    numba = Path(
        os.environ.get("NUMBA_CACHE_DIR") or Path(tempfile.gettempdir()) / "interest-lens-bench-numba"
    )
    env = {**os.environ, "INTEREST_LENS_CACHE": str(cache), "NUMBA_CACHE_DIR": str(numba)}
    cmd = [sys.executable, "-m", "core", "analyze", str(data), "--out", str(out), "--k", "8"]
    cmd += ["--label-column", "label", *extra]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"analyze failed ({done.returncode}): {done.stderr[-2000:]}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB -> GiB, max over children
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"seconds": seconds, "rss_gb": rss, "summary": summary, "stdout": done.stdout}


def _row(label: str, users: int, events: int, items: int, result: dict, load: float) -> str:
    timings = result["summary"].get("timings", {})
    stages = " | ".join(f"{timings.get(s, 0):.1f}" for s in STAGES)
    ari = result["summary"].get("ari")
    return (
        f"| {users:,} / {events:,} / {items:,} | {label} | {result['seconds']:.0f} | {stages} | "
        f"{result['rss_gb']:.2f} | {ari if ari is None else f'{ari:.3f}'} | {load:.1f} |"
    )


def main(argv: list[str] | None = None) -> None:
    from bench.scale_data import generate, write

    wanted = {int(a) for a in (argv if argv is not None else sys.argv[1:]) if a.isdigit()}
    sizes = [s for s in SIZES if not wanted or s[0] in wanted]
    rows = []
    baseline = None
    with tempfile.TemporaryDirectory() as tmp:
        for users, events, items in sizes:
            data = write(generate(users, events, items), Path(tmp) / f"events-{users}.parquet")
            cache = Path(tmp) / f"cache-{users}"
            runs = [("cold", Path(tmp) / f"out-{users}-cold")]
            if users == sizes[-1][0]:
                runs.append(("warm", Path(tmp) / f"out-{users}-warm"))
            for label, out in runs:
                load = os.getloadavg()[0]
                # RUSAGE_CHILDREN is a max over all children so far: measure each run in its own
                # grandchild so earlier, larger runs cannot mask it.
                result = _isolated(data, out, cache)
                rows.append(_row(label, users, events, items, result, max(load, os.getloadavg()[0])))
                baseline = baseline or result["seconds"] / users
                print(rows[-1], flush=True)
    header = (
        "| users / events / item texts | cache | total s | "
        + " | ".join(STAGES)
        + " | peak RSS GB | ARI | load avg |"
    )
    body = "\n".join(
        [
            "## Scale: generated data, 8 planted interests (`bench/scale_bench.py`)",
            "",
            "`python -m core analyze --k 8 --label-column label` on Parquet from `bench/scale_data.py`",
            "(10 events per user, 85% from the user's interest), a fresh process per run. Stage columns",
            "are seconds from summary.json `timings` (ingest includes reading and cleaning); peak RSS is",
            "the process's maximum resident set. Targets: 1M users / 10M events / 50k texts <= 600 s cold,",
            "<= 300 s warm, <= 8 GB; 100k users export <= 10 s, projection <= 15 s; ARI >= 0.9.",
            "",
            header,
            "|" + "---|" * (header.count("|") - 1),
            *rows,
            "",
            "Growth: seconds per 1,000 users relative to the smallest size "
            + ", ".join(
                f"{r.split('|')[1].strip().split(' / ')[0]}: {float(r.split('|')[3]) / int(r.split('|')[1].strip().split(' / ')[0].replace(',', '')) * 1000:.2f}"
                for r in rows
            )
            + (f" (baseline {baseline * 1000:.2f} s per 1,000 users)." if baseline else "."),
        ]
    )
    write_section("scale", body)


def _isolated(data: Path, out: Path, cache: Path) -> dict:
    """run_analyze in a fresh interpreter, so ru_maxrss is this run's alone."""
    code = (
        "import json,sys; from pathlib import Path; from bench.scale_bench import run_analyze; "
        "r = run_analyze(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])); "
        "print(json.dumps(r))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data), str(out), str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
