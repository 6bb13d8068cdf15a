"""Scale: `python -m core analyze` on generated data at 100k, 300k and 1M users (bench/scale_data.py).

Each run is a fresh process (as a user runs it) with its own cache directory: a cold run (empty
embedding cache) and, for the largest size, a warm re-run. Wall time per stage comes from
summary.json's `timings`; peak RSS is the peak of the summed resident sets of the run's whole
process tree, sampled from /proc every 0.5 s (the Spark engine is a Python driver, a JVM and Python
workers; elsewhere the child's `ru_maxrss`). The load average is recorded with the figures: the
machine is shared.

With `--engine spark` the same sizes (SPARK_SIZES: 100k and 1M) run `--engine spark --master
local[2]` cold into their own section (`scale_spark`); `--engine both` runs both tables.

    python -m bench.scale_bench              # 100k, 300k, 1M (the 1M run takes minutes)
    python -m bench.scale_bench 100000       # one size
    python -m bench.scale_bench --engine spark [100000] [--representation tfidf]
    python -m bench.scale_bench --engine both   # what `make bench` runs: both tables, Spark vs local
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
SPARK_SIZES = [SIZES[0], SIZES[2]]
SPARK_ARGS = ("--engine", "spark", "--master", "local[2]")
STAGES = [
    "ingest",
    "embed",
    "profiles",
    "k_advice",
    "segment",
    "projection",
    "insights",
    "export",
    "save_analysis",
]


def numba_dir() -> Path:
    """The bench's own numba cache: the runs' INTEREST_LENS_CACHE is a fresh (cold) directory each."""
    return Path(
        os.environ.get("NUMBA_CACHE_DIR") or Path(tempfile.gettempdir()) / "interest-lens-bench-numba"
    )


def warm_map_kernels() -> float:
    """Compile UMAP's numba kernels into the bench's cache first, as `make install` does for a user's
    (core/segment/projection.py warm_up): a one-time cost per installation, not part of any run."""
    code = "from core.segment.projection import warm_up; print(warm_up())"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(numba_dir())}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return float(done.stdout.strip().splitlines()[-1])


def run_analyze(data: Path, out: Path, cache: Path, *extra: str, timeout: int = 1500) -> dict:
    """One analyze in a child process: wall seconds, peak RSS (GB), summary.json."""
    # Cold = empty embedding cache; numba's compiled UMAP kernels are a one-time cost per machine
    # (core/segment/projection.py), kept in their own directory across runs (warm_map_kernels).
    env = {**os.environ, "INTEREST_LENS_CACHE": str(cache), "NUMBA_CACHE_DIR": str(numba_dir())}
    cmd = [sys.executable, "-m", "core", "analyze", str(data), "--out", str(out), "--k", "8"]
    cmd += ["--label-column", "label", *extra]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=stdout, stderr=stderr, text=True)
        tree_peak = 0
        while child.poll() is None:
            tree_peak = max(tree_peak, tree_rss(child.pid))
            if time.perf_counter() - start > timeout:
                child.kill()
                child.wait()
                raise RuntimeError(f"analyze ran past {timeout} s")
            time.sleep(0.5)
        seconds = time.perf_counter() - start
        stdout.seek(0)
        stderr.seek(0)
        out_text, err_text = stdout.read(), stderr.read()
    if child.returncode != 0:
        raise RuntimeError(f"analyze failed ({child.returncode}): {err_text[-2000:]}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB -> GiB, max over children
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {
        "seconds": seconds,
        "rss_gb": max(rss, tree_peak / 1024**3),
        "summary": summary,
        "stdout": out_text,
    }


def tree_rss(root: int) -> int:
    """Summed resident bytes of `root` and all its descendants now (Linux /proc; 0 elsewhere)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in (proc / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def _row(label: str, users: int, events: int, items: int, result: dict, load: float) -> str:
    timings = result["summary"].get("timings", {})
    stages = " | ".join(f"{timings.get(s, 0):.1f}" for s in STAGES)
    ari = result["summary"].get("ari")
    return (
        f"| {users:,} / {events:,} / {items:,} | {label} | {result['seconds']:.0f} | {stages} | "
        f"{result['rss_gb']:.2f} | {ari if ari is None else f'{ari:.3f}'} | {load:.1f} |"
    )


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    engine = args[args.index("--engine") + 1] if "--engine" in args else "local"
    extra = (
        tuple(args[args.index("--representation") : args.index("--representation") + 2])
        if "--representation" in args
        else ()
    )
    wanted = {int(a) for a in args if a.isdigit()}
    local: list[dict] = []
    if engine in ("local", "both"):
        sizes = [s for s in SIZES if not wanted or s[0] in wanted]
        rows, local = _table(sizes, extra, warm_last=True)
        write_section("scale", _body(rows, local))
    if engine in ("spark", "both"):
        sizes = [s for s in SPARK_SIZES if not wanted or s[0] in wanted]
        rows, records = _table(sizes, (*SPARK_ARGS, *extra), warm_last=False)
        body = _body(rows, records, spark=True, extra=extra) + _versus_local(records, local)
        write_section("scale_spark", body)


def _versus_local(spark: list[dict], local: list[dict]) -> str:
    """Spark against the local engine's cold run of the same size measured in this run, if any."""
    base = {r["users"]: r for r in local if r["cache"] == "cold"}
    pairs = [(r, base[r["users"]]) for r in spark if r["users"] in base]
    if not pairs:
        return ""
    return (
        "\n\nSpark local[2] / local engine, same data, same run: "
        + ", ".join(
            f"{r['users']:,} users {r['seconds'] / b['seconds']:.2f}x the time, {r['rss_gb'] / b['rss_gb']:.2f}x the peak RSS"
            for r, b in pairs
        )
        + "."
    )


def _table(
    sizes: list[tuple[int, int, int]], extra: tuple[str, ...], *, warm_last: bool
) -> tuple[list[str], list[dict]]:
    from bench.scale_data import generate, write

    rows: list[str] = []
    records: list[dict] = []
    warm_map_kernels()
    with tempfile.TemporaryDirectory() as tmp:
        for users, events, items in sizes:
            data = write(generate(users, events, items), Path(tmp) / f"events-{users}.parquet")
            cache = Path(tmp) / f"cache-{users}"
            runs = [("cold", Path(tmp) / f"out-{users}-cold")]
            if warm_last and users == sizes[-1][0]:
                runs.append(("warm", Path(tmp) / f"out-{users}-warm"))
            for label, out in runs:
                load = os.getloadavg()[0]
                # RUSAGE_CHILDREN is a max over all children so far: measure each run in its own
                # grandchild so earlier, larger runs cannot mask it.
                result = _isolated(data, out, cache, *extra)
                rows.append(_row(label, users, events, items, result, max(load, os.getloadavg()[0])))
                records.append({"users": users, "cache": label, "seconds": result["seconds"]})
                records[-1]["rss_gb"] = result["rss_gb"]
                print(rows[-1], flush=True)
    return rows, records


def _body(rows: list[str], records: list[dict], *, spark: bool = False, extra: tuple[str, ...] = ()) -> str:
    header = (
        "| users / events / item texts | cache | total s | "
        + " | ".join(STAGES)
        + " | peak RSS GB | ARI | load avg |"
    )
    if spark:
        intro = [
            "## Scale on the Spark engine, local mode (`bench/scale_bench.py --engine spark`)",
            "",
            f"`python -m core analyze --k 8 --label-column label {' '.join((*SPARK_ARGS, *extra))}` on the",
            "same generated Parquet, a fresh process per run, cold. Peak RSS is the whole process tree",
            "(Python driver + JVM + Python workers). Target (issue 14): the 1M-user data runs in local mode;",
            "the time and memory targets are the local engine's (section above).",
        ]
    else:
        intro = [
            "## Scale: generated data, 8 planted interests (`bench/scale_bench.py`)",
            "",
            "`python -m core analyze --k 8 --label-column label` on Parquet from `bench/scale_data.py`",
            "(10 events per user, 85% from the user's interest), the default representation (bundled",
            "all-MiniLM-L6-v2 + TF-IDF), a fresh process per run. Cold = empty embedding cache; UMAP's",
            "numba kernels are compiled once beforehand, as `make install` does. Stage columns are seconds",
            "from summary.json `timings` (ingest includes reading and cleaning); peak RSS is the largest",
            "summed resident set of the run's process tree. Targets: 1M users / 10M events / 50k texts",
            "<= 600 s cold, <= 300 s warm, <= 8 GB; 100k users export <= 10 s, projection <= 15 s; ARI >= 0.9.",
        ]
    return "\n".join(
        [*intro, "", header, "|" + "---|" * (header.count("|") - 1), *rows, "", *_growth(records)]
    )


def _short(users: int) -> str:
    return f"{users / 1e6:g}M" if users >= 1_000_000 else f"{users / 1e3:g}k"


def _growth(records: list[dict]) -> list[str]:
    """The growth curve: cold seconds per size against linear growth from the smallest size."""
    cold = [r for r in records if r["cache"] == "cold"]
    if not cold:
        return []
    base = cold[0]["seconds"] / cold[0]["users"]
    per_k = ", ".join(f"{r['users']:,}: {r['seconds'] / r['users'] * 1000:.2f}" for r in cold)
    lines = [
        f"Growth (cold runs), seconds per 1,000 users: {per_k}. A ratio below 1 grows slower than linear:",
        ", ".join(f"{r['users']:,}: {r['seconds'] / (base * r['users']):.2f}x linear" for r in cold) + ".",
    ]
    if len(cold) < 2:
        return lines
    labels = ", ".join(f'"{_short(r["users"])}"' for r in cold)
    top = max(max(r["seconds"], base * r["users"]) for r in cold)
    return [
        *lines,
        "",
        "```mermaid",
        "xychart-beta",
        '    title "Cold run: seconds (bars) vs linear growth from the smallest size (line)"',
        f'    x-axis "users" [{labels}]',
        f'    y-axis "seconds" 0 --> {int(top * 1.1) + 1}',
        "    bar [" + ", ".join(f"{r['seconds']:.0f}" for r in cold) + "]",
        "    line [" + ", ".join(f"{base * r['users']:.0f}" for r in cold) + "]",
        "```",
    ]


def _isolated(data: Path, out: Path, cache: Path, *extra: str) -> dict:
    """run_analyze in a fresh interpreter, so ru_maxrss is this run's alone."""
    code = (
        "import json,sys; from pathlib import Path; from bench.scale_bench import run_analyze; "
        "r = run_analyze(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), *sys.argv[4:]); "
        "print(json.dumps(r))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data), str(out), str(cache), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
