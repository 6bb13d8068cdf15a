"""Fuzzing the run side of the CLI (issue 16): hostile options, degenerate data, tampered bundles and
failures at the last step, generated with Hypothesis and run through `core.cli.main` (in-process,
fast slice) and through `python -m core` in a child process (slow slice, peak RSS measured).

Every run must end with exit 0, or exit 2 and exactly one `error: English / 中文` line last on
stderr, never a traceback; a failed run leaves the previous output folder byte-for-byte as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.cli import main
from core.errors import InterestLensError
from core.export.assign import nearest_segments
from core.export.bundle import load_bundle

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "events.csv"
PEAK_RSS_LIMIT_MB = 2048  # any input under 1 MB compressed
QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]  # capsys is read after every example
FAST = settings(max_examples=25, deadline=None, suppress_health_check=QUIET, derandomize=True)
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=QUIET, derandomize=True)


# Fixtures: a small table, a previous run's output folder, its bundle ------------------------------


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    path = tmp_path_factory.mktemp("data") / "events.csv"
    frame[frame["user_id"].isin(sorted(frame["user_id"].unique())[:40])].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def previous(events: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("previous") / "run"
    assert (
        main(
            ["analyze", str(events), "--model", "tfidf", "--projection", "pca", "--k", "3", "--out", str(out)]
        )
        == 0
    )
    return out


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def check_outcome(code: int, err: str) -> None:
    assert "Traceback" not in err, err
    assert "Warning:" not in err, err  # no raw ConvergenceWarning/RuntimeWarning lines (child processes)
    assert code in (0, 2), (code, err)
    if code == 2:
        errors = [line for line in err.splitlines() if line.startswith("error")]
        assert len(errors) == 1 and errors[0].startswith("error: ") and " / " in errors[0], err
        assert err.rstrip().endswith(errors[0]), err


# 1. Hostile options (family 3) --------------------------------------------------------------------

BAD_SEEDS = st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32)).map(str) | st.sampled_from(
    ["abc", "1.5", "", "1e3", "0x10", "--", "nan"]
)
BAD_HALF_LIVES = st.sampled_from(["inf", "-inf", "nan", "-1", "abc", "1e400", "", "365001"]) | st.floats(
    max_value=-1e-9, allow_nan=False
).map(repr)
BAD_COUNTS = st.sampled_from(["0", "-5", "1e12", "abc", "", "2.5", "-0x1"]) | st.integers(max_value=0).map(
    str
)
BAD_K = st.sampled_from(["1", "0", "-3", "abc", "", "2.0", "K"]) | st.integers(max_value=1).map(str)
BAD_DATES = st.sampled_from(
    ["notadate", "2024-02-30", "", "yesterday", "9999-99-99", "2024-13-01T00:00+08:00"]
) | st.text(alphabet="abcxyz!?", min_size=1, max_size=12)


def _bad_out(kind: str, tmp: Path) -> str:
    if kind == "file":
        (tmp / "a-file").write_text("keep me")
        return str(tmp / "a-file")
    return {"proc": "/proc/interest-lens/out", "dev": "/dev/null/out", "empty": ""}[kind]


@st.composite
def hostile_analyze(draw: st.DrawFn) -> tuple[list[str], str]:
    """analyze options with at least one hostile value; returns (argv tail, which option is bad)."""
    bad = draw(
        st.sampled_from(
            ["--seed", "--half-life", "--k", "--min-segment-size", "--method", "--projection", "--out"]
        )
    )
    values = {
        "--seed": draw(BAD_SEEDS) if bad == "--seed" else draw(st.sampled_from(["0", "42", str(2**32 - 1)])),
        "--half-life": draw(BAD_HALF_LIVES)
        if bad == "--half-life"
        else draw(st.sampled_from(["0", "30", "90.5"])),
        "--k": draw(BAD_K) if bad == "--k" else draw(st.sampled_from(["auto", "2", "3"])),
        "--min-segment-size": draw(BAD_COUNTS.filter(lambda v: v != "0"))
        if bad == "--min-segment-size"
        else "0",
        "--method": draw(st.sampled_from(["spectral", "", "KMEANS"])) if bad == "--method" else "kmeans",
        "--projection": draw(st.sampled_from(["tsne", ""])) if bad == "--projection" else "pca",
    }
    argv = [part for option, value in values.items() for part in (option, value)]
    return argv, bad


@given(case=hostile_analyze(), out_kind=st.sampled_from(["previous", "file", "proc", "dev", "empty"]))
@FAST
def test_hostile_analyze_options_fail_before_reading_and_keep_the_previous_output(
    case, out_kind, events, previous, tmp_path_factory, capsys
) -> None:
    argv, bad = case
    tmp = tmp_path_factory.mktemp("opts")
    if bad == "--out":
        out = _bad_out("file" if out_kind == "previous" else out_kind, tmp)
    else:
        out = str(previous) if out_kind == "previous" else _bad_out(out_kind, tmp)
    before = snapshot(previous)
    with pytest.MonkeyPatch.context() as mp:
        import core.ingest.dataset

        mp.setattr(core.ingest.dataset, "load_dataset", _no_reading)
        code = main(["analyze", str(events), "--model", "tfidf", *argv, "--out", out])
    check_outcome(code, capsys.readouterr().err)
    assert code == 2
    assert snapshot(previous) == before


def _no_reading(*args, **kwargs):
    raise AssertionError("data was read before the options were checked")


@st.composite
def hostile_evaluate(draw: st.DrawFn) -> list[str]:
    bad = draw(st.sampled_from(["--top-k", "--test-size", "--cutoff", "--segments", "--seed", "--split"]))
    values = {
        "--top-k": draw(BAD_COUNTS) if bad == "--top-k" else draw(st.sampled_from(["1", "10", "1000000000"])),
        "--test-size": draw(BAD_COUNTS) if bad == "--test-size" else "1",
        "--segments": draw(BAD_K.filter(lambda v: v != "auto")) if bad == "--segments" else "auto",
        "--seed": draw(BAD_SEEDS) if bad == "--seed" else "7",
        "--split": draw(st.sampled_from(["later", ""])) if bad == "--split" else "temporal",
    }
    argv = [part for option, value in values.items() for part in (option, value)]
    if bad == "--cutoff":
        argv += ["--cutoff", draw(BAD_DATES)]
    return argv


@given(argv=hostile_evaluate())
@FAST
def test_hostile_evaluate_options_fail_before_reading(argv, events, previous, capsys) -> None:
    before = snapshot(previous)
    with pytest.MonkeyPatch.context() as mp:
        import core.ingest.dataset

        mp.setattr(core.ingest.dataset, "load_dataset", _no_reading)
        code = main(["evaluate", str(events), *argv, "--out", str(previous)])
    check_outcome(code, capsys.readouterr().err)
    assert code == 2 and snapshot(previous) == before


@given(
    bundle=st.sampled_from(["missing", "folder", "empty", "garbage"]), out=st.sampled_from(["folder", "ok"])
)
@FAST
def test_assign_paths(bundle, out, events, previous, tmp_path_factory, capsys) -> None:
    tmp = tmp_path_factory.mktemp("assign")
    paths = {
        "missing": tmp / "none.zip",
        "folder": tmp,
        "empty": tmp / "empty.zip",
        "garbage": tmp / "garbage.zip",
    }
    paths["empty"].write_bytes(b"")
    paths["garbage"].write_bytes(os.urandom(512))
    target = str(previous) if out == "folder" else str(tmp / "assigned.csv")
    code = main(["assign", str(paths[bundle]), str(events), "--out", target])
    check_outcome(code, capsys.readouterr().err)
    assert code == 2 and not (tmp / "assigned.csv").exists()


# 2. Tampered bundles (family 4) --------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
CONFIG_KEYS = [
    "event_weights", "device", "backend", "half_life_days", "seed", "method", "k", "k_min", "k_max",
    "min_segment_share", "projection", "use_ratings", "min_segment_size", "model", "extra",
]  # fmt: skip


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@st.composite
def tampering(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(st.sampled_from(["config", "centroids", "ids"]))
    if kind == "config":
        return {"config": {draw(st.sampled_from(CONFIG_KEYS)): draw(JSON_VALUES)}}
    if kind == "centroids":
        rows = draw(st.integers(0, 5))
        fill = draw(st.sampled_from([0.0, 1e38, -1e38, np.inf, np.nan, 1e-30, None]))
        return {"centroids": (rows, fill)}
    return {"ids": draw(st.lists(st.integers(-3, 8), max_size=6))}


def _tampered(raw: bytes, change: dict[str, object]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    centroids = np.load(io.BytesIO(members["centroids.npy"]))
    if "config" in change:
        config = json.loads(members["config.json"])
        config.update(change["config"])  # type: ignore[call-overload]
        members["config.json"] = json.dumps(config).encode()
    if "centroids" in change:
        rows, fill = change["centroids"]  # type: ignore[misc]
        array = np.random.default_rng(rows).normal(size=(rows, centroids.shape[1])).astype(np.float32)
        array = (
            array / np.linalg.norm(array, axis=1, keepdims=True)
            if fill is None and rows
            else np.full_like(array, fill or 0.0)
        )
        members["centroids.npy"] = _npy(array)
    if "ids" in change:
        members["centroid_ids.npy"] = _npy(np.asarray(change["ids"], dtype=np.int64))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


@given(change=tampering())
@settings(max_examples=80, deadline=None, suppress_health_check=QUIET, derandomize=True)
def test_tampered_bundles_are_refused_or_assign_meaningfully(change, previous) -> None:
    raw = _tampered((previous / "bundle.zip").read_bytes(), change)
    try:
        bundle = load_bundle(raw)
    except InterestLensError as exc:
        assert exc.message_en.startswith("This is not a valid Interest Lens bundle") and exc.message_zh
        return
    users = np.random.default_rng(0).normal(size=(50, bundle.centroids.shape[1])).astype(np.float32)
    users /= np.linalg.norm(users, axis=1, keepdims=True)
    labels, confidence = nearest_segments(users, bundle)
    assert np.isfinite(confidence).all() and set(labels.tolist()) <= set(bundle.centroid_ids.tolist())
    if len(bundle.centroids) > 1:  # never "everyone in segment 0 with confidence 0"
        assert confidence.max() > 0


@pytest.mark.parametrize("change", [{"config": {"event_weights": {"view": "x"}}}, {"centroids": (3, 0.0)}])
def test_assign_with_a_tampered_bundle_is_one_error_line(change, events, previous, tmp_path, capsys) -> None:
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(_tampered((previous / "bundle.zip").read_bytes(), change))
    code = main(["assign", str(bundle), str(events), "--out", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err
    check_outcome(code, err)
    assert code == 2 and "not a valid Interest Lens bundle" in err and not (tmp_path / "a.csv").exists()


# 3. Degenerate data (family 2) -----------------------------------------------------------------------

TEXTS = ["red running shoes", "red running shoes", "green tea leaves", "!!!", "红色连衣裙 夏季新款", "same"]


@st.composite
def tiny_tables(draw: st.DrawFn) -> pd.DataFrame:
    n_users = draw(st.integers(1, 7))
    rows = []
    for user in range(n_users):
        for _ in range(draw(st.integers(1, 3))):
            item = draw(st.integers(0, 3))
            rows.append((f"u{user}", f"i{item}", draw(st.sampled_from(TEXTS))))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "text"])


@given(
    table=tiny_tables(),
    method=st.sampled_from(["kmeans", "agglomerative", "hdbscan"]),
    k=st.sampled_from(["auto", "2", "3", "5"]),
)
@settings(max_examples=8, deadline=None, suppress_health_check=QUIET, derandomize=True)
def test_degenerate_tables_give_a_result_with_its_reason_or_one_error(
    table, method, k, tmp_path_factory, capsys
) -> None:
    tmp = tmp_path_factory.mktemp("tiny")
    table.to_csv(tmp / "events.csv", index=False)
    out = tmp / "out"
    code = main(["analyze", str(tmp / "events.csv"), "--model", "tfidf", "--projection", "pca", "--method", method, "--k", k, "--min-segment-size", "0", "--out", str(out)])  # fmt: skip
    check_outcome(code, capsys.readouterr().err)
    if code == 0:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        members = pd.read_csv(out / "segments.csv", encoding="utf-8-sig")
        assert summary["k"] == members["segment_id"].nunique() >= 1
        assert summary["k_reason"] and (
            method == "hdbscan" or summary["k_reason"].startswith(f"K={summary['k']}")
        )
    else:
        assert not out.exists()


# 4. Failure at the very last step (family 6) -------------------------------------------------------


def test_a_folder_in_the_way_fails_cleanly_and_keeps_the_previous_files(
    events, previous, tmp_path, capsys
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    for name in snapshot(previous):
        (out / name).parent.mkdir(parents=True, exist_ok=True)  # analysis/ holds the saved run
        (out / name).write_bytes((previous / name).read_bytes())
    (out / "report.html").unlink()
    (out / "report.html").mkdir()  # the move into place must fail before touching anything
    before = snapshot(out)
    code = main(
        ["analyze", str(events), "--model", "tfidf", "--projection", "pca", "--k", "2", "--out", str(out)]
    )
    check_outcome(code, capsys.readouterr().err)
    assert code == 2 and snapshot(out) == before and (out / "report.html").is_dir()
    assert not [p for p in out.iterdir() if p.name.startswith(".interest-lens-staging")]


# 5. The real CLI in a child process: exit codes, stderr, peak RSS (slow) -----------------------------


def run_cli(argv: list[str], tmp: Path, timeout: float = 300) -> tuple[int, str, float]:
    """`python -m core ARGV` -> (exit code, stderr, peak RSS in MB of that child alone)."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    err_path = tmp / f"stderr-{time.monotonic_ns()}.txt"
    with open(err_path, "wb") as err, open(os.devnull, "wb") as null:
        proc = subprocess.Popen(
            [sys.executable, "-m", "core", *argv], cwd=ROOT, env=env, stdout=null, stderr=err
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err_path.read_text(encoding="utf-8", errors="replace"), usage.ru_maxrss / 1024


@pytest.mark.slow
@given(case=hostile_analyze().filter(lambda case: case[1] != "--out"))  # --out is the previous run here
@settings(max_examples=10, deadline=None, suppress_health_check=QUIET, derandomize=True)
def test_hostile_options_through_the_real_cli(case, events, previous, tmp_path_factory) -> None:
    argv, _ = case
    before = snapshot(previous)
    code, err, rss = run_cli(
        ["analyze", str(events), "--model", "tfidf", *argv, "--out", str(previous)],
        tmp_path_factory.mktemp("cli"),
    )
    check_outcome(code, err)
    assert code == 2 and snapshot(previous) == before and rss < PEAK_RSS_LIMIT_MB


@pytest.mark.slow
@given(
    table=tiny_tables(),
    method=st.sampled_from(["kmeans", "agglomerative", "hdbscan"]),
    k=st.sampled_from(["auto", "2", "3"]),
)
@SLOW
def test_degenerate_tables_through_the_real_cli(table, method, k, tmp_path_factory) -> None:
    tmp = tmp_path_factory.mktemp("cli-tiny")
    table.to_csv(tmp / "events.csv", index=False)
    argv = ["analyze", str(tmp / "events.csv"), "--model", "tfidf", "--projection", "pca", "--method", method, "--k", k, "--out", str(tmp / "out")]  # fmt: skip
    code, err, rss = run_cli(argv, tmp)
    check_outcome(code, err)
    assert rss < PEAK_RSS_LIMIT_MB


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "{events}", "--top-k", "1000000000", "--out", "{tmp}/eval"],
        ["evaluate", "{events}", "--cutoff", "2024-03-01T00:00:00+08:00", "--out", "{tmp}/eval2"],
        ["evaluate", "{events}", "--segments", "3", "--split", "random", "--out", "{tmp}/eval3"],
        ["analyze", "{events}", "--model", "tfidf", "--method", "hdbscan", "--out", "{tmp}/hdb"],
        ["analyze", "{events}", "--model", "tfidf", "--k", "39", "--out", "{tmp}/many"],
    ],
)
def test_valid_edge_options_through_the_real_cli(argv, events, tmp_path) -> None:
    code, err, rss = run_cli([a.format(events=events, tmp=tmp_path) for a in argv], tmp_path)
    check_outcome(code, err)
    assert code == 0 and rss < PEAK_RSS_LIMIT_MB


@pytest.mark.slow
@pytest.mark.model
def test_default_model_bundle_tampered_then_assigned(events, tmp_path) -> None:
    out = tmp_path / "run"
    code, err, _ = run_cli(
        ["analyze", str(events), "--projection", "pca", "--k", "3", "--out", str(out)], tmp_path
    )
    assert code == 0, err
    raw = (out / "bundle.zip").read_bytes()
    for change in ({"centroids": (3, None)}, {"config": {"half_life_days": "abc"}}, {"centroids": (3, 1e38)}):
        bundle = tmp_path / "bundle.zip"
        bundle.write_bytes(_tampered(raw, change))
        code, err, rss = run_cli(
            ["assign", str(bundle), str(events), "--out", str(tmp_path / "a.csv")], tmp_path
        )
        check_outcome(code, err)
        assert rss < PEAK_RSS_LIMIT_MB
        if code == 0:  # random unit centroids are a valid (if meaningless) bundle: confidences vary
            assigned = pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")
            assert assigned["confidence"].max() > 0
