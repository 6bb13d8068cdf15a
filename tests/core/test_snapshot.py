"""The saved-analysis folder (core/export/snapshot.py): a finished run saved and opened again gives
the same exports and recommendations, and anything that is not a saved run gets a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.config import AnalysisConfig
from core.export.outputs import segment_dictionary, summary, write_core_outputs
from core.export.snapshot import MANIFEST, SnapshotError, load_analysis, save_analysis
from core.export.tables import members_csv_bytes
from core.export.writer import build_view
from core.ingest.dataset import load_dataset
from core.notes import Note
from core.pipeline import run_analysis
from core.recommend.members import recommend_for_members
from core.recommend.registry import RECOMMENDERS
from tests.core.analysis_factory import make_analysis as make_hostile_analysis

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"


@pytest.fixture(scope="module")
def small_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    users = sorted(u for u in events["user_id"].unique() if u)[:240]
    path = tmp_path_factory.mktemp("data") / "events.csv"
    events[events["user_id"].isin(users)].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def pair(small_events: Path, tmp_path_factory: pytest.TempPathFactory):
    """(original analysis from the real pipeline, the same analysis saved and loaded)."""
    dataset = load_dataset(small_events.read_bytes(), filename="events.csv")
    config = AnalysisConfig(
        model="tfidf", representation="tfidf", projection="pca", k=4, label_column="label"
    )
    original = run_analysis(dataset, config)
    folder = save_analysis(original, tmp_path_factory.mktemp("saved") / "analysis")
    return original, load_analysis(folder)


def test_members_and_segments_files_are_byte_for_byte_those_of_the_original(pair, tmp_path: Path) -> None:
    original, loaded = pair
    a = write_core_outputs(original, tmp_path / "a")
    b = write_core_outputs(loaded, tmp_path / "b")
    for name in ("segments.csv", "segments.json", "ingest_report.json"):
        assert a[name].read_bytes() == b[name].read_bytes(), name
    recs_a, recs_b = recommend_for_members(original, n=5), recommend_for_members(loaded, n=5)
    assert recs_a == recs_b
    view_a = build_view(original, recommendations=recs_a)
    view_b = build_view(loaded, recommendations=recs_b)
    assert members_csv_bytes(view_a) == members_csv_bytes(view_b)
    assert summary(original) == summary(loaded)


def test_every_recommender_gives_the_same_lists_after_loading(pair) -> None:
    original, loaded = pair
    users = [str(u) for u in original.profiles.user_ids[:25]]
    for name, make in RECOMMENDERS.items():
        lists = []
        for analysis in (original, loaded):
            model = make().fit(
                analysis.dataset.events, item_ids=analysis.item_ids, item_vectors=analysis.item_vectors,
                profiles=analysis.profiles, segmentation=analysis.segmentation,
                segment_names=[s.name for s in analysis.segments],
                item_texts=analysis.dataset.items["text"].astype(str).tolist(),
            )  # fmt: skip
            lists.append(model.recommend(users, n=5, with_reasons=True).to_frame())
        pd.testing.assert_frame_equal(lists[0], lists[1], obj=name)


def test_every_part_of_the_analysis_comes_back(pair) -> None:
    original, loaded = pair
    pd.testing.assert_frame_equal(original.dataset.events, loaded.dataset.events)
    pd.testing.assert_frame_equal(original.dataset.items, loaded.dataset.items)
    assert original.config == loaded.config
    assert original.dataset.report == loaded.dataset.report
    np.testing.assert_array_equal(original.profiles.vectors, loaded.profiles.vectors)
    np.testing.assert_array_equal(original.coords, loaded.coords)
    np.testing.assert_array_equal(original.segmentation.labels, loaded.segmentation.labels)
    assert loaded.profiles.top_items == original.profiles.top_items
    assert segment_dictionary(loaded.segments) == segment_dictionary(original.segments)
    assert [s.extra for s in loaded.segments] == [s.extra for s in original.segments]
    assert loaded.k_reason == original.k_reason and getattr(loaded.k_reason, "zh", None) == getattr(
        original.k_reason, "zh", None
    )
    assert loaded.run_id == original.run_id and loaded.quality == original.quality


def test_the_hostile_factory_analysis_round_trips(tmp_path: Path) -> None:
    original = make_hostile_analysis()
    state = {"sentence_weight": 0.4, "tfidf_features": np.arange(5, dtype=np.int64),
             "tfidf_idf": np.ones(5, dtype=np.float32), "tfidf_components": np.eye(5, 3, dtype=np.float32)}  # fmt: skip
    from dataclasses import replace

    original = replace(
        original, representation_state=state, warnings=[Note("K=3 was forced.", "K=3 是强制的。")]
    )
    loaded = load_analysis(save_analysis(original, tmp_path / "saved"))
    assert members_csv_bytes(build_view(original)) == members_csv_bytes(build_view(loaded))
    assert segment_dictionary(loaded.segments) == segment_dictionary(original.segments)
    assert loaded.warnings == ["K=3 was forced."] and loaded.warnings[0].zh == "K=3 是强制的。"
    assert loaded.representation_state["sentence_weight"] == 0.4
    np.testing.assert_array_equal(loaded.representation_state["tfidf_components"], state["tfidf_components"])


def test_float16_halves_the_vectors_and_stays_close(pair, tmp_path: Path) -> None:
    original, _ = pair
    small = save_analysis(original, tmp_path / "f16", profile_dtype="float16")
    full = save_analysis(original, tmp_path / "f32")
    assert (small / "profiles.npy").stat().st_size < 0.6 * (full / "profiles.npy").stat().st_size
    loaded = load_analysis(small)
    assert loaded.profiles.vectors.dtype == np.float32
    np.testing.assert_allclose(loaded.profiles.vectors, original.profiles.vectors, atol=1e-3)


# --- the CLI --------------------------------------------------------------------------------
def test_analyze_saves_the_run_and_says_how_to_open_it(small_events: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    args = ["analyze", str(small_events), "--model", "tfidf", "--projection", "pca", "--k", "4",
            "--recommendations", "3", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"Data → Open a finished run → {(out / 'analysis').resolve()}" in printed
    loaded = load_analysis(out)  # the out folder itself is accepted too
    csv = members_csv_bytes(build_view(loaded, recommendations=recommend_for_members(loaded, n=3), top_n=3))
    assert csv == (out / "members.csv").read_bytes()
    written = write_core_outputs(loaded, tmp_path / "again")
    assert written["segments.csv"].read_bytes() == (out / "segments.csv").read_bytes()
    timings = json.loads((out / "summary.json").read_text(encoding="utf-8"))["timings"]
    assert timings["save_analysis"] > 0 and "export" in timings
    first_run = loaded.run_id
    # a second run into the same folder replaces the saved analysis whole
    assert main([*args[:-2], "--k", "3", "--out", str(out)]) == 0
    again = load_analysis(out / "analysis")
    assert again.segmentation.k == 3 and again.run_id != first_run
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_no_save_analysis_writes_no_folder(small_events: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["analyze", str(small_events), "--model", "tfidf", "--projection", "pca", "--k", "3",
                 "--no-save-analysis", "--out", str(out)]) == 0  # fmt: skip
    assert not (out / "analysis").exists() and (out / "segments.csv").is_file()


def test_a_foreign_folder_named_analysis_is_never_replaced(
    small_events: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    (out / "analysis").mkdir(parents=True)
    (out / "analysis" / "mine.txt").write_text("keep me")
    code = main(["analyze", str(small_events), "--model", "tfidf", "--projection", "pca", "--k", "3",
                 "--out", str(out)])  # fmt: skip
    assert code == 2 and "in the way" in capsys.readouterr().err
    assert (out / "analysis" / "mine.txt").read_text() == "keep me"


# --- what is not a saved run ------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return save_analysis(make_hostile_analysis(), tmp_path / "saved")


def _error(path: Path | str) -> SnapshotError:
    with pytest.raises(SnapshotError) as caught:
        load_analysis(path)
    assert caught.value.message_zh and caught.value.message_zh != caught.value.message_en
    return caught.value


def test_a_folder_without_a_saved_run_is_named_so(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("<html>")
    assert "no saved analysis" in _error(tmp_path).message_en
    assert _error(tmp_path / "report.html").code == "snapshot_missing"
    assert _error(tmp_path / "does-not-exist").code == "snapshot_missing"
    assert _error("").code == "snapshot"
    assert _error("a\x00b").code == "snapshot"


def test_a_newer_format_version_asks_for_an_update(saved: Path) -> None:
    manifest = json.loads((saved / MANIFEST).read_text())
    (saved / MANIFEST).write_text(json.dumps({**manifest, "format_version": 99}))
    assert "version 99" in _error(saved).message_en


def test_another_programs_manifest_is_not_a_saved_run(saved: Path) -> None:
    (saved / MANIFEST).write_text(json.dumps({"format": "something-else", "files": {}}))
    assert "not that of a saved analysis" in _error(saved).message_en
    (saved / MANIFEST).write_text("{not json")
    assert "not readable JSON" in _error(saved).message_en


def test_arrays_that_do_not_fit_the_counts_are_refused(saved: Path) -> None:
    np.save(saved / "profiles.npy", np.zeros((3, 8), dtype=np.float32))
    assert "profiles.npy" in _error(saved).message_en


def test_a_pickled_array_is_refused_and_never_unpickled(saved: Path) -> None:
    np.save(saved / "labels.npy", np.array([object()] * 42, dtype=object), allow_pickle=True)
    assert "labels.npy" in _error(saved).message_en


def test_a_table_with_other_rows_is_refused(saved: Path) -> None:
    events = pd.read_parquet(saved / "events.parquet")
    events.head(5).to_parquet(saved / "events.parquet", index=False)
    assert "events.parquet" in _error(saved).message_en


def test_the_manifest_cannot_point_outside_the_folder(saved: Path, tmp_path: Path) -> None:
    manifest = json.loads((saved / MANIFEST).read_text())
    manifest["files"]["../secret.npy"] = {"shape": [1]}
    manifest["files"]["repr_x.npy"] = manifest["files"].pop("../secret.npy")
    (saved / MANIFEST).write_text(json.dumps(manifest))
    assert "missing" in _error(saved).message_en
    manifest["files"]["../events.parquet"] = {"rows": 1}
    manifest["files"].pop("repr_x.npy")
    (saved / MANIFEST).write_text(json.dumps(manifest))
    load_analysis(saved)  # an unknown listed name is never opened
    (saved / "labels.npy").unlink()
    (saved / "labels.npy").symlink_to(tmp_path / "elsewhere.npy")
    assert "labels.npy is missing" in _error(saved).message_en


def test_a_damaged_analysis_json_is_named(saved: Path) -> None:
    (saved / "analysis.json").write_text(json.dumps({"config": {}}))
    assert "analysis.json" in _error(saved).message_en


def test_rejected_rows_of_mixed_types_are_saved_as_text(tmp_path: Path) -> None:
    from dataclasses import replace

    original = make_hostile_analysis()
    mixed = pd.DataFrame({"reason": ["bad", "bad"], "cell": [1, "x"]})  # what Arrow cannot type
    original = replace(original, dataset=replace(original.dataset, rejected=mixed))
    loaded = load_analysis(save_analysis(original, tmp_path / "saved"))
    assert loaded.dataset.rejected is not None
    assert loaded.dataset.rejected["cell"].tolist() == ["1", "x"]


def test_links_out_of_the_folder_are_not_followed(saved: Path, tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    (outer / "analysis").symlink_to(saved, target_is_directory=True)
    assert _error(outer).code == "snapshot_none"
    linked = tmp_path / "linked-manifest"
    linked.mkdir()
    (linked / MANIFEST).symlink_to(saved / MANIFEST)
    assert _error(linked).code == "snapshot_none"
