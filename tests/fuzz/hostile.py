"""Hostile input files for the ingest fuzz suite, one builder per family of issue 16, and the harness
that runs the real CLI in a child process and measures that child's peak RSS (os.wait4)."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MB = 2**20
RSS_BOUND_MB = 2048  # any input under 1 MB compressed

OUT_OF_RANGE_TIMES = ("9999-12-31", "0001-01-01", "2300-01-01", "99999999999", "9999999999999", "12000-01-01")
NON_FINITE = ("inf", "-inf", "Infinity", "1e400", "-1e999", "-nan", "+NaN")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    peak_rss_mb: float  # the CLI process's own peak (wait4 in the launcher)
    seconds: float

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)


# A small fresh Python forks the CLI and reads that child's own peak RSS with wait4. Forking the CLI
# straight from pytest would not do: Linux keeps a process's RSS high-water mark across fork and exec,
# so every child would report the size of the (large) test process.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "core", *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as handle:
    handle.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def run_cli(*args: str | Path, timeout: float = 120) -> Run:
    """`python -m core ARGS` in a fresh process; stdout/stderr through files so no pipe can fill up."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as folder:
        rss_file = Path(folder) / "maxrss"
        out_path, err_path = Path(folder) / "out", Path(folder) / "err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            start = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(rss_file), *map(str, args)],
                stdout=out,
                stderr=err,
                env=env,
                cwd=ROOT,
                start_new_session=True,  # its own process group, so a timeout kills the CLI too
            )
            try:
                code = child.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                code = child.wait()
            seconds = time.perf_counter() - start
        peak_kib = int(rss_file.read_text()) if rss_file.exists() else 0  # KiB on Linux
        return Run(
            code,
            out_path.read_bytes().decode("utf-8", "replace"),
            err_path.read_bytes().decode("utf-8", "replace"),
            peak_kib / 1024,
            seconds,
        )


def check_contract(run: Run, input_bytes: int) -> None:
    """What every run must satisfy: exit 0 or 2, never a traceback, one `error:` line on failure,
    counts reconciled on success (when the report went to stdout), bounded memory."""
    assert run.code in (0, 2), f"exit {run.code}: {run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    if run.code == 2:
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error: ")]
        assert len(errors) == 1 and lines[-1] == errors[0], run.stderr[-2000:]
    elif run.stdout.lstrip().startswith("{"):
        report = run.report
        assert report["rows_in"] == report["rows_kept"] + sum(report["rows_rejected"].values())
    if input_bytes < MB:
        assert run.peak_rss_mb < RSS_BOUND_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"


# --- builders: each returns bytes (or writes a special path) -------------------------------------------
def events_csv(rows: list[tuple[str, ...]], header: tuple[str, ...] = ("user_id", "title", "time")) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def out_of_range_dates() -> bytes:
    rows = [(f"u{i}", f"Item {i}", t) for i, t in enumerate(OUT_OF_RANGE_TIMES)]
    return events_csv(rows + [("u100", "Boots", "2024-01-04"), ("u101", "Tent", "1704369600")])


def non_finite_numbers() -> bytes:
    header = ("user_id", "title", "price", "quantity", "rating")
    rows = [(f"u{i}", f"Item {i}", v, "1", "4") for i, v in enumerate(NON_FINITE)]
    rows += [("q1", "Q", "2", "inf", "4"), ("r1", "R", "2", "1", "1e400"), ("ok", "Boots", "3.5", "2", "5")]
    return events_csv(rows, header)


def many_users_with(bad: list[tuple[str, ...]], n_users: int = 60) -> bytes:
    """A table analyze and evaluate can use (n_users x 8 events over a small catalogue) plus the bad rows."""
    titles = ["hiking boots", "trail tent", "baby stroller", "crib sheets", "espresso beans", "moka pot"]
    rows = [
        (f"u{u}", titles[(u % 3) * 2 + j % 2], f"2024-01-{1 + j:02d}")
        for u in range(n_users)
        for j in range(8)
    ]
    return events_csv(rows + bad)


def truncated_gzip() -> bytes:
    whole = gzip.compress(events_csv([(f"u{i}", f"Item {i}", "2024-01-01") for i in range(3000)]))
    return whole[: len(whole) // 3]


def truncated_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "events.csv", events_csv([(f"u{i}", f"Item {i}", "2024-01-01") for i in range(3000)])
        )
    return buffer.getvalue()[:-300]


def truncated_parquet() -> bytes:
    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame({"user_id": [f"u{i}" for i in range(300)], "title": ["Boots"] * 300}).to_parquet(buffer)
    return buffer.getvalue()[:-64]


def parquet_year_9999() -> bytes:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "user_id": ["u1", "u2", "u3"],
            "title": ["Boots", "Tent", "Stove"],
            "time": pa.array([dt.datetime(9999, 12, 31), dt.datetime(2024, 1, 1), dt.datetime(2300, 1, 1)]),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def hidden_first_sheet() -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    old = workbook.add_worksheet("Old")
    old.write_row(0, 0, ["user_id", "title"])
    old.write_row(1, 0, ["h1", "Hidden"])
    old.hide()
    data = workbook.add_worksheet("Data")
    data.write_row(0, 0, ["user_id", "title"])
    data.write_row(1, 0, ["u1", "Boots"])
    data.write_row(2, 0, ["u2", "Tent"])
    data.activate()
    workbook.close()
    return buffer.getvalue()


def formulas_only_workbook() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(['="user_id"', '="title"'])
    workbook.active.append(['="u"&1', '=UPPER("boots")'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def repeated_header() -> bytes:
    return b"user_id,title\nu1,Boots\nuser_id,title\nu2,Tent\nu3,Stove\n"


def whitespace_ids() -> bytes:
    return "user_id,title\nu1,Boots\n u1,Tent\nu1\u00a0,Stove\nu1\u3000,Mug\n".encode()


def internal_column_names() -> bytes:
    return b"user_id,title,source_row,_uidx\nu1,Boots,x,y\nu2,Tent,x2,y2\n"


def gzip_bomb_of_tiny_rows(target_bytes: int = 255_000) -> bytes:
    """About `target_bytes` of gzip that unpacks to tens of millions of tiny rows."""
    block = b"a,b\n" * 250_000
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as handle:
        handle.write(b"user_id,title\n")
        while out.tell() < target_bytes:
            handle.write(block)
    return out.getvalue()


def passwd_like() -> bytes:
    lines = [f"user{i}:x:{1000 + i}:{1000 + i}::/home/user{i}:/bin/bash" for i in range(20)]
    lines += ["svc:x:101:104:Service daemon,,,:/var/lib/svc:/bin/sh"] * 2
    return ("\n".join(lines) + "\n").encode()
