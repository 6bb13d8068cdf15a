"""Project bundle: exact round trip, hostile zips rejected, new users assigned to the saved segments."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError, EmbeddingError, IngestError
from core.export.assign import assign_new_users, nearest_segments
from core.export.bundle import (
    JSON_MEMBERS,
    NPY_MEMBERS,
    OPTIONAL_MEMBERS,
    PROFILE_MEMBERS,
    bundle_bytes,
    load_bundle,
)
from core.export.privacy import PrivacySettings
from core.export.writer import build_view
from tests.core.analysis_factory import ALL_PAYLOADS, TINY_NAME, make_analysis


@pytest.fixture(scope="module")
def analysis():
    return make_analysis()


@pytest.fixture(scope="module")
def view(analysis):
    return build_view(analysis)


@pytest.fixture(scope="module")
def raw(view) -> bytes:
    return bundle_bytes(view)


def _rezip(
    raw: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def test_round_trip_restores_labels_names_and_config(analysis, view, raw: bytes) -> None:
    bundle = load_bundle(raw)
    assert bundle.assignments["user_id"].tolist() == view.members["user_id"].tolist()
    assert bundle.assignments["segment_id"].tolist() == view.members["segment_id"].tolist()
    assert np.allclose(bundle.assignments["confidence"], view.members["confidence"])
    assert bundle.segment_names == {s.segment_id: s.name for s in view.segments}
    assert bundle.config == analysis.config and bundle.seed == 7
    assert bundle.model_id == "fake-model" and bundle.run_id == analysis.run_id
    assert bundle.ingest_report == analysis.dataset.report
    assert {"python", "core", "numpy", "scikit-learn", "sentence-transformers", "model_id"} <= set(
        bundle.versions
    )
    assert np.array_equal(bundle.centroids, analysis.segmentation.centroids)
    assert set(bundle.assignments["user_id"]) >= {
        "007",
        "NA",
        *ALL_PAYLOADS[:3],
    }  # exact ids, not neutralised


def test_profiles_are_stored_and_read_back(analysis, raw: bytes) -> None:
    """profiles.npy (float16, barely deflates) is stored uncompressed; the text members are deflated."""
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        kinds = {info.filename: info.compress_type for info in zf.infolist()}
    assert kinds["profiles.npy"] == zipfile.ZIP_STORED
    assert kinds["assignments.json"] == zipfile.ZIP_DEFLATED
    bundle = load_bundle(raw)
    assert bundle.profiles is not None
    assert np.allclose(bundle.profiles, analysis.profiles.vectors, atol=1e-3)


def test_bundle_from_a_file_path(raw: bytes, tmp_path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(raw)
    assert len(load_bundle(path).assignments) == 42


def test_bundle_hides_the_small_segment_and_the_key(analysis) -> None:
    raw = bundle_bytes(
        build_view(analysis, privacy=PrivacySettings(pseudonymize=True, key=b"very-secret-key"))
    )
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())
    assert TINY_NAME.encode() not in blob and b"very-secret-key" not in blob and b"tiny-user" not in blob
    bundle = load_bundle(raw)
    assert list(bundle.centroid_ids) == [0, 1, 2, -1]
    assert all(u.startswith("u_") for u in bundle.assignments["user_id"])


def test_nothing_is_pickled(raw: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        names = zf.namelist()
        assert set(names) >= {*JSON_MEMBERS, *NPY_MEMBERS, *PROFILE_MEMBERS}
        assert set(names) <= {*JSON_MEMBERS, *NPY_MEMBERS, *OPTIONAL_MEMBERS}
        for name in names:
            if name.endswith(".npy"):
                np.load(io.BytesIO(zf.read(name)), allow_pickle=False)
            else:
                json.loads(zf.read(name))


def test_reassigning_the_saved_users_gives_the_saved_labels(analysis, raw: bytes) -> None:
    bundle = load_bundle(raw)
    labels, confidence = nearest_segments(analysis.profiles.vectors, bundle)
    assert labels.tolist() == bundle.assignments["segment_id"].tolist()
    assert ((confidence >= 0) & (confidence <= 1)).all()


def test_wrong_dimension_is_an_embedding_error(raw: bytes) -> None:
    with pytest.raises(EmbeddingError):
        nearest_segments(np.ones((2, 5), dtype=np.float32), load_bundle(raw))


def _object_npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: b"not a zip",
        lambda raw: _rezip(raw, add={"../../evil.txt": b"x"}),
        lambda raw: _rezip(raw, add={"/etc/passwd": b"x"}),
        lambda raw: _rezip(raw, add={"extra.pkl": b"x"}),
        lambda raw: _rezip(raw, replace={"centroids.npy": _object_npy()}),
        lambda raw: _rezip(raw, replace={"manifest.json": b'{"format": "other"}'}),
        lambda raw: _rezip(raw, replace={"config.json": b"[1, 2]"}),
        lambda raw: _rezip(raw, replace={"segments.json": b'[{"segment_id": "0"}]'}),
        lambda raw: _rezip(
            raw, replace={"assignments.json": b'{"user_id": ["a"], "segment_id": [99], "confidence": [0.5]}'}
        ),
        lambda raw: _rezip(
            raw, replace={"assignments.json": b'{"user_id": ["a"], "segment_id": [0], "confidence": [NaN]}'}
        ),
        lambda raw: _rezip(raw, replace={"assignments.json": b"\xff\xfe"}),
    ],
    ids=[
        "not-zip",
        "zip-slip",
        "absolute",
        "unknown-member",
        "pickled-npy",
        "manifest",
        "config",
        "segments",
        "unknown-segment",
        "nan",
        "not-utf8",
    ],  # fmt: skip
)
def test_hostile_or_damaged_bundles_are_rejected(raw: bytes, mutate) -> None:
    with pytest.raises(IngestError, match="not a valid Interest Lens bundle"):
        load_bundle(mutate(raw))


def test_missing_member_is_rejected(raw: bytes) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != "centroids.npy":
                dst.writestr(info.filename, src.read(info))
    with pytest.raises(IngestError, match="missing centroids.npy"):
        load_bundle(out.getvalue())


def test_zip_bomb_is_rejected_before_reading(raw: bytes) -> None:
    bomb = _rezip(
        raw, replace={"privacy.json": b"[" + b" " * (20 << 20) + b"]"}
    )  # 20 MB of spaces, ~20 KB zipped
    with pytest.raises(IngestError, match="suspiciously large"):
        load_bundle(bomb)


def test_duplicate_member_names_are_rejected(raw: bytes) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we make on purpose
        bad = _rezip(raw, add={"config.json": json.dumps({"seed": 1}).encode()})
    with pytest.raises(IngestError, match="duplicate"):
        load_bundle(bad)


class _AxisEmbedder:
    """Embeds a text onto the axis of the segment it names (dim 8), like the factory's profiles."""

    model_id = "fake-model"

    def embed(self, texts, *, progress=None) -> np.ndarray:
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, int(text[-1])] = 1.0
        return out


def test_tfidf_bundles_cannot_assign_without_an_embedder(analysis) -> None:
    from dataclasses import replace

    tfidf = replace(analysis, embedding_info={"model_id": "tfidf"})
    bundle = load_bundle(bundle_bytes(build_view(tfidf)))
    with pytest.raises(ConfigError):
        assign_new_users(bundle, analysis.dataset)


def test_assign_new_users_to_saved_segments(raw: bytes) -> None:
    import core.embed.profiles

    if not hasattr(core.embed.profiles, "build_profiles"):
        pytest.skip("core.embed.profiles.build_profiles is not written yet")
    from core.data import Dataset, IngestReport

    items = pd.DataFrame({"item_id": ["a", "b", "c"], "text": ["likes 0", "likes 1", "likes 3"]})
    events = pd.DataFrame(
        {
            "user_id": ["new-0", "new-1", "new-3", "=1+1"],
            "item_id": ["a", "b", "c", "b"],
            "event_type": "purchase",
            "timestamp": pd.Timestamp("2024-02-01"),
            "rating": np.nan,
            "quantity": np.nan,
            "price": np.nan,
            "review": "",
        }
    )
    dataset = Dataset(events=events, items=items, report=IngestReport())
    result = assign_new_users(load_bundle(raw), dataset, embedder=_AxisEmbedder())
    by_user = dict(zip(result["user_id"], result["segment_id"], strict=True))
    assert by_user == {"new-0": 0, "new-1": 1, "new-3": -1, "=1+1": 1}  # segment 3 was merged into Other
    assert set(result.loc[result["segment_id"] == -1, "segment_name"]) == {"Other"}


def test_cli_assign_writes_a_neutralised_csv(raw: bytes, tmp_path) -> None:
    import csv

    from core.export.assign import cli_assign

    (tmp_path / "bundle.zip").write_bytes(raw)
    events = tmp_path / "new.csv"
    events.write_text(
        "user_id,item_id,text\nnew-0,a,likes 0\n=1+1,b,likes 1\nnew-3,c,likes 3\n", encoding="utf-8"
    )
    summary = cli_assign(tmp_path / "bundle.zip", events, tmp_path / "assigned.csv", embedder=_AxisEmbedder())
    rows = list(csv.DictReader((tmp_path / "assigned.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert {r["user_id"]: r["segment_id"] for r in rows} == {"new-0": "0", "'=1+1": "1", "new-3": "-1"}
    assert summary["users"] == 3 and summary["per_segment"]["Other"] == 1


def test_profiles_are_bounded_by_the_assignments_not_the_member_cap(
    raw: bytes, view, tmp_path, monkeypatch
) -> None:
    """At 1M users x 640 dims profiles.npy is 1.3 GB, over the generic caps: it is checked against
    the assignments instead, read from the path, and a larger one is still refused."""
    import core.export.bundle as bundle_module
    from core.export.bundle import write_bundle

    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        sizes = {i.filename: i.file_size for i in zf.infolist()}
    # caps that everything but the profiles fits exactly (the total would fail with them counted)
    others = max(size for name, size in sizes.items() if name != "profiles.npy")
    monkeypatch.setattr(bundle_module, "MAX_MEMBER_BYTES", max(others, 1))
    monkeypatch.setattr(bundle_module, "MAX_BUNDLE_BYTES", sum(sizes.values()) - sizes["profiles.npy"])
    path = tmp_path / "bundle.zip"
    write_bundle(view, path)  # streamed to the file: the same zip as the download
    bundle = load_bundle(path)
    assert bundle.profiles is not None and bundle.profiles.shape == view.profiles.shape
    # far more rows than there are users: refused from the zip directory, before it is read
    bigger = (
        np.random.default_rng(0)
        .random((view.profiles.shape[0] + 5000, view.profiles.shape[1]))
        .astype(np.float16)
    )
    npy = io.BytesIO()
    np.save(npy, bigger)
    with pytest.raises(IngestError, match="suspiciously large"):
        load_bundle(_rezip(raw, replace={"profiles.npy": npy.getvalue()}))


def test_profiles_written_block_by_block_are_the_np_save_bytes() -> None:
    from core.export.bundle import _save_float16

    profiles = np.random.default_rng(0).standard_normal((1_001, 7)).astype(np.float32)
    blocks, whole = io.BytesIO(), io.BytesIO()
    _save_float16(blocks, profiles, rows=100)  # 11 blocks, the last one short
    np.save(whole, profiles.astype(np.float16), allow_pickle=False)
    assert blocks.getvalue() == whole.getvalue()
