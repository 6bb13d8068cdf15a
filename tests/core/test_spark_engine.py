"""The Spark engine (local mode) on the sample data agrees with the local engine: the same ingest
report, the same profiles, the same segments at the same K and seed, and its bundle assigns users.
One CLI run (one SparkSession) for the whole module; skipped with a reason where Java is missing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.engines.spark_session import java_available

pytest.importorskip("pyspark", reason="pyspark is not installed (make install)")
if not java_available():
    pytest.skip(
        "Spark engine test skipped: no Java (install openjdk-17-jre-headless or set JAVA_HOME)",
        allow_module_level=True,
    )

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from core.cli import main
    from core.config import AnalysisConfig
    from core.ingest.dataset import load_dataset
    from core.pipeline import run_analysis

    out = tmp_path_factory.mktemp("spark_out")
    code = main(
        ["analyze", str(SAMPLE), "--engine", "spark", "--master", "local[1]", "--k", "6",
         "--projection", "pca", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    local = run_analysis(load_dataset(SAMPLE), AnalysisConfig(k=6, seed=42, projection="pca"))
    yield out, local
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


def test_report_and_segments_match_the_local_engine(runs) -> None:
    from sklearn.metrics import adjusted_rand_score

    out, local = runs
    report = json.loads((out / "ingest_report.json").read_text(encoding="utf-8"))
    assert report["rows_in"] == report["rows_kept"] + sum(report["rows_rejected"].values())
    expected = local.dataset.report.to_dict()
    for key in ("rows_in", "rows_kept", "rows_rejected", "mapping", "n_users", "n_items", "n_events"):
        assert report[key] == expected[key], key
    spark = pd.read_parquet(out / "assignments.parquet").set_index("user_id")
    mine = spark.loc[local.profiles.user_ids.astype(str), "segment_id"].to_numpy()
    assert adjusted_rand_score(local.segmentation.labels, mine) >= 0.9
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["k"] == 6 and summary["n_users_segmented"] == len(local.profiles)
    assert len(json.loads((out / "segments.json").read_text(encoding="utf-8"))) == 6


def test_spark_bundle_assigns_new_users(runs, tmp_path) -> None:
    from core.cli import main

    out, _ = runs
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    first = events[events["user_id"].isin(events["user_id"].unique()[:5])]
    first.to_csv(tmp_path / "new.csv", index=False)
    assert (
        main(["assign", str(out / "bundle.zip"), str(tmp_path / "new.csv"), "--out", str(tmp_path / "a.csv")])
        == 0
    )
    assigned = pd.read_csv(tmp_path / "a.csv", dtype={"user_id": str})
    spark = pd.read_parquet(out / "assignments.parquet").set_index("user_id")
    assert len(assigned) == 5
    assert np.array_equal(
        assigned.set_index("user_id")["segment_id"].to_numpy(),
        spark.loc[assigned["user_id"], "segment_id"].to_numpy(),
    )
