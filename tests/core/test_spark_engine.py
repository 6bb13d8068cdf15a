"""The Spark engine (local mode) agrees with the local engine: the same ingest report and items on a
table whose item texts vary across partitions, the same segments at the same K and seed on a slice
of the sample data, and its bundle assigns users. One SparkSession for the module (local[1], two
shuffle partitions, no UI, no adaptive execution); skipped with a reason where Java is missing. The
Online Retail parity check is slow."""

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

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "events.csv"
RETAIL = ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"
# Item A is described once as "RED MUG" in the first partition (3 rows each) and three times as
# "BIG RED MUG" in the next: over the whole table (the local engine's rule) its text is BIG RED MUG.
SPLIT_TEXTS = """user_id,item_id,description,timestamp,quantity
u1,A,RED MUG,2024-01-01,1
u2,B,BLUE PLATE,2024-01-01,1
u3,C,GREEN BOWL,2024-01-02,1
u1,A,BIG RED MUG,2024-01-03,1
u2,A,BIG RED MUG,2024-01-03,2
u3,A,BIG RED MUG,2024-01-04,1
u4,B,BLUE PLATE,2024-01-04,1
u4,C,GREEN BOWL,2024-01-05,1
u4,C,GREEN BOWL,2024-01-05,1
"""


@pytest.fixture(scope="module")
def spark():
    from core.engines.spark_session import get_session

    session = get_session("local[1]", shuffle_partitions=2, conf={"spark.sql.adaptive.enabled": "false"})
    yield session
    session.stop()


def test_item_text_and_report_match_the_local_engine_across_partitions(spark, tmp_path) -> None:
    from core.engines.spark_ingest import collect_dataset, spark_ingest
    from core.ingest.dataset import load_dataset

    path = tmp_path / "split.csv"
    path.write_text(SPLIT_TEXTS, encoding="utf-8")
    events, report, items, texts = spark_ingest(spark, path, rows_per_partition=3)
    mine = collect_dataset(events, report, items, texts)
    local = load_dataset(path)
    assert mine.items.to_dict("list") == local.items.to_dict("list")
    assert dict(zip(mine.items["item_id"], mine.items["text"], strict=True))["A"] == "BIG RED MUG"
    assert mine.report.to_dict() == local.report.to_dict()
    assert mine.report.rows_rejected == {"duplicate": 1}


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    from core.cli import main
    from core.config import AnalysisConfig
    from core.ingest.dataset import load_dataset
    from core.pipeline import run_analysis

    tmp = tmp_path_factory.mktemp("spark")
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    small = tmp / "small.csv"
    events[events["user_id"].isin(events["user_id"].unique()[:150])].to_csv(small, index=False)
    out = tmp / "out"
    code = main(
        ["analyze", str(small), "--engine", "spark", "--master", "local[1]", "--k", "6",
         "--projection", "pca", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    local = run_analysis(load_dataset(small), AnalysisConfig(k=6, seed=42, projection="pca"))
    return small, out, local


def test_report_and_segments_match_the_local_engine(runs) -> None:
    from sklearn.metrics import adjusted_rand_score

    _, out, local = runs
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

    small, out, _ = runs
    events = pd.read_csv(small, dtype=str, keep_default_na=False)
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


@pytest.mark.slow
@pytest.mark.skipif(not RETAIL.exists(), reason="Online Retail is not in ../shared/datasets")
def test_online_retail_parity(spark) -> None:
    from core.engines.spark_parity import parity

    result = parity(RETAIL, k=8, seed=42, spark=spark)
    print(json.dumps(result))
    assert result["report_equal"], result["report_diff"]
    assert result["texts_differ"] == 0 and result["items_same_order"]
    assert result["cosine_min"] > 0.999
    # Both engines run spherical k-means to its fixed point from the same k-means++ start: 1.000 measured.
    assert result["ari"] >= 0.9, result["ari"]


def test_spark_run_saves_an_analysis_the_dashboard_opens(runs, tmp_path) -> None:
    """h14-dash: the Spark engine goes through the same writer, so OUT/analysis/ opens without Spark."""
    from core.export.outputs import write_core_outputs
    from core.export.snapshot import load_analysis

    _, out, _ = runs
    loaded = load_analysis(out)
    assert loaded.projection_info.get("engine") == "spark"
    written = write_core_outputs(loaded, tmp_path)
    assert written["segments.csv"].read_bytes() == (out / "segments.csv").read_bytes()
    assert written["segments.json"].read_bytes() == (out / "segments.json").read_bytes()


@pytest.mark.model
def test_texts_embedded_on_workers_equal_the_driver_embedding(spark) -> None:
    """Beyond DRIVER_EMBED_MAX texts the sentence model runs in the workers (pandas UDF); the hybrid
    representation around it (TF-IDF fit, weight, space saved in the bundle) stays the driver's, so
    the vectors are the driver path's. The driver's model here has no cache: both compute."""
    from core.config import AnalysisConfig
    from core.embed.embedding import make_embedder
    from core.embed.hybrid import HybridEmbedder
    from core.engines.spark_profiles import embed_items

    texts = [
        "Waterproof hiking boots for mountain trails",
        "Lightweight camping tent for two people",
        "Stainless steel chef knife set",
        "Non-stick frying pan with glass lid",
        "Wireless noise cancelling headphones",
        "Bluetooth speaker with deep bass",
        "Organic green tea, 100 bags",
        "Dark roast coffee beans, 1 kg",
        "防水登山鞋 户外徒步",
        "无线降噪耳机 蓝牙",
    ]
    items = pd.DataFrame({"item_id": [f"i{n}" for n in range(len(texts))], "text": texts})
    config = AnalysisConfig()
    worker_model = HybridEmbedder(make_embedder(None), seed=config.seed)
    vectors, where = embed_items(spark, items, config, worker_model, driver_max=0)
    driver_model = HybridEmbedder(make_embedder(None, use_cache=False), seed=config.seed)
    expected, driver_where = embed_items(spark, items, config, driver_model)

    assert where == {"embedded_on": "workers (pandas UDF)"} and driver_where == {"embedded_on": "driver"}
    assert vectors.shape == expected.shape == (len(texts), driver_model.dim)
    assert np.min(np.sum(vectors * expected, axis=1)) > 0.99999
    assert worker_model.sentence_weight == driver_model.sentence_weight
    assert worker_model.last_stats["n_texts"] == len(texts)
    assert worker_model.last_stats["max_tokens"] == driver_model.last_stats["max_tokens"]
    assert worker_model.state()["tfidf_idf"].tolist() == driver_model.state()["tfidf_idf"].tolist()


def _parts_folder(folder: Path, parquet: bool = False) -> Path:
    """SPLIT_TEXTS as two parts (gzip CSV or Parquet) plus the files a Spark/Hadoop job leaves beside them."""
    import gzip

    folder.mkdir()
    lines = SPLIT_TEXTS.strip().splitlines()
    header, body = lines[0], lines[1:]
    for n, chunk in enumerate((body[:4], body[4:])):
        if parquet:
            frame = pd.DataFrame([row.split(",") for row in chunk], columns=header.split(","))
            frame.to_parquet(folder / f"part-{n:05d}.parquet", index=False)
        else:
            with gzip.open(folder / f"part-{n:05d}.csv.gz", "wt", encoding="utf-8") as handle:
                handle.write("\n".join([header, *chunk]) + "\n")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-00000.crc").write_bytes(b"\x00crc")
    return folder


@pytest.mark.parametrize("parquet", [False, True], ids=["csv-gz", "parquet"])
def test_a_uri_is_read_through_spark_file_systems_like_the_local_folder(spark, tmp_path, parquet) -> None:
    """A lakehouse path (here Hadoop's file:// file system; s3a://, abfss://, hdfs:// go the same way):
    the parts are listed and the head sniffed through the session's FileSystem, and the report and
    items equal the local engine's on the same folder, for the folder and for a glob of its parts."""
    from core.engines.spark_ingest import collect_dataset, spark_ingest
    from core.ingest.dataset import load_dataset

    folder = _parts_folder(tmp_path / "events", parquet=parquet)
    local = load_dataset(folder)
    suffix = "parquet" if parquet else "csv.gz"
    for uri in (folder.as_uri(), f"{folder.as_uri()}/part-*.{suffix}"):
        events, report, items, texts = spark_ingest(spark, uri, rows_per_partition=3)
        mine = collect_dataset(events, report, items, texts)
        assert mine.report.rows_in == 9 and mine.report.rows_rejected == {"duplicate": 1}, uri
        assert mine.items.to_dict("list") == local.items.to_dict("list"), uri
        ours, theirs = mine.report.to_dict(), local.report.to_dict()
        for key in ("rows_in", "rows_kept", "rows_rejected", "mapping", "n_users", "n_items", "n_events"):
            assert ours[key] == theirs[key], (uri, key)


def test_a_missing_uri_and_a_uri_for_the_local_engine_say_what_to_do(spark, tmp_path, capsys) -> None:
    from core.cli import main
    from core.engines.spark_ingest import spark_ingest
    from core.errors import IngestError

    with pytest.raises(IngestError, match="File not found"):
        spark_ingest(spark, (tmp_path / "nothing.csv").as_uri())
    with pytest.raises(IngestError, match="No files match"):
        spark_ingest(spark, f"{tmp_path.as_uri()}/part-*.parquet")
    assert main(["analyze", "s3a://bucket/events/", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--engine spark" in err and "Traceback" not in err


def test_core_is_shipped_to_a_clusters_workers_as_an_importable_zip(spark, tmp_path) -> None:
    """On a cluster the executors do not share this checkout: `ship_core` sends `core` as a zip
    (addPyFile). The zip imports in a Python that has no other path to `core`."""
    import subprocess
    import sys
    import zipfile

    from core.engines.spark_session import ship_core

    target = ship_core(spark)
    assert ship_core(spark) == target  # once per application
    names = zipfile.ZipFile(target).namelist()
    assert "core/engines/spark_profiles.py" in names and "core/ingest/cleaning.py" in names
    assert not any("__pycache__" in name for name in names)
    code = "import core.ingest.cleaning, core.embed.profiles, core; print(core.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert str(target) in done.stdout


def test_collected_profiles_are_the_workers_vectors_in_user_order(spark) -> None:
    """Profiles travel as float32 bytes; skipped users (no vector) sit between kept ones and users
    arrive unsorted across partitions: each kept user still gets exactly their own vector."""
    from core.engines.spark_profiles import PROFILE_SCHEMA, as_bytes, collect_profiles

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((6, 5)).astype(np.float32)
    ids = ["u5", "u1", "u3", "u0", "u4", "u2"]
    rows = [(u, b, 1, ["i"], None, False) for u, b in zip(ids, as_bytes(vectors), strict=True)]
    rows.insert(2, ("u9", None, 0, [], "no usable events", False))
    rows.insert(5, ("u7", None, 0, [], "no usable events", False))
    frame = spark.createDataFrame(rows, PROFILE_SCHEMA).repartition(3)
    profiles = collect_profiles(frame)
    assert profiles.user_ids.tolist() == sorted(ids)
    expected = dict(zip(ids, vectors, strict=True))
    assert np.array_equal(profiles.vectors, np.stack([expected[u] for u in sorted(ids)]))
    assert profiles.skipped_users == {"u9": "no usable events", "u7": "no usable events"}


def test_a_session_the_engine_started_is_released_with_its_jvm(tmp_path) -> None:
    """After Spark's stages the engine ends a JVM it started (its heap stays resident otherwise) and a
    later run starts a new one. In a child process: this module's session must stay up."""
    import subprocess
    import sys

    code = (
        "import os\n"
        "from pyspark import SparkContext\n"
        "from core.engines.spark_session import get_session, owns_no_session, release\n"
        "assert owns_no_session()\n"
        "s = get_session('local[1]')\n"
        "pid = SparkContext._gateway.proc.pid\n"
        "release(s)\n"
        "assert not os.path.exists(f'/proc/{pid}') or open(f'/proc/{pid}/stat').read().split()[2] == 'Z'\n"
        "again = get_session('local[1]')\n"
        "assert SparkContext._gateway.proc.pid != pid and again.range(3).count() == 3\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-1500:]
