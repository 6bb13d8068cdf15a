"""The project bundle (.zip): enough to restore segments and assign new users (core.export.assign) without the raw upload.

Members (all JSON or .npy; nothing is ever unpickled):
    manifest.json       format, version, run id, created, file list
    config.json         AnalysisConfig.to_dict() (seed included)
    segments.json       exported segments: id, name, size, share, keywords
    centroids.npy       (n_centroids, dim) float32, L2-normalised
    centroid_ids.npy    (n_centroids,) int64: exported segment id of each row (-1 = merged into "Other")
    assignments.json    columns user_id, segment_id, confidence (as exported: pseudonyms when on)
                        [, control: bool per user when a control group was held out]
    ingest_report.json  IngestReport.to_dict()
    versions.json       python, core, numpy, scikit-learn, sentence-transformers, model id
    privacy.json        which guards were on (never the key)
    profiles.npy        optional: (n_users, dim) float16 interest vectors, rows as assignments (lookalikes)
Optional (hybrid representation, core/embed/hybrid.py; absent in older bundles):
    representation.json     representation, sentence_weight
    tfidf_features.npy      (m,) int64 hashed term columns of the fitted TF-IDF space
    tfidf_idf.npy           (m,) float32 their idf
    tfidf_components.npy    (m, dim) float32 the SVD projection
"""

from __future__ import annotations

import io
import json
import platform
import time
import zipfile
from dataclasses import dataclass, fields
from importlib import metadata
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.export.bundle_schema import (
    assignments_frame,
    check_centroids,
    check_profiles,
    config_values,
    invalid,
    segments_frame,
)

if TYPE_CHECKING:
    from core.config import AnalysisConfig
    from core.data import IngestReport
    from core.export.view import ExportView

FORMAT = "interest-lens-bundle"
FORMAT_VERSION = 1
JSON_MEMBERS = ("manifest.json", "config.json", "segments.json", "assignments.json", "ingest_report.json", "versions.json", "privacy.json")  # fmt: skip
NPY_MEMBERS = ("centroids.npy", "centroid_ids.npy")
PROFILE_MEMBERS = ("profiles.npy",)
HYBRID_NPY = ("tfidf_features.npy", "tfidf_idf.npy", "tfidf_components.npy")
HYBRID_MEMBERS = ("representation.json", *HYBRID_NPY)
OPTIONAL_MEMBERS = (*PROFILE_MEMBERS, *HYBRID_MEMBERS)
MAX_BUNDLE_BYTES = 1 << 30  # uncompressed total
MAX_MEMBER_BYTES = 512 << 20
MAX_RATIO = 200  # uncompressed / compressed per member


@dataclass(frozen=True, eq=False)
class Bundle:
    """A saved analysis, read back and validated."""

    run_id: str
    created: str
    config: AnalysisConfig
    model_id: str
    segments: pd.DataFrame  # segment_id, name, size, share, keywords (list[str])
    centroids: np.ndarray  # (n_centroids, dim) float32
    centroid_ids: np.ndarray  # (n_centroids,) int64, -1 = "Other"
    assignments: pd.DataFrame  # user_id (str), segment_id (int64), confidence (float64)[, control (bool)]
    ingest_report: IngestReport
    versions: dict[str, str]
    privacy: list[dict[str, str]]
    profiles: np.ndarray | None = None  # (n_users, dim) float32, rows as assignments; None in old bundles
    representation: str = "sentence"  # hybrid | sentence | tfidf
    representation_state: dict[str, Any] | None = None  # hybrid: sentence_weight + the TF-IDF arrays

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def segment_names(self) -> dict[int, str]:
        return dict(zip(self.segments["segment_id"].tolist(), self.segments["name"].tolist(), strict=True))


def _versions(model_id: str) -> dict[str, str]:
    import core

    out = {"python": platform.python_version(), "core": core.__version__, "model_id": model_id}
    for dist in ("numpy", "scikit-learn", "sentence-transformers", "pandas"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = ""
    return out


def bundle_bytes(view: ExportView) -> bytes:
    """The bundle of an export view as zip bytes (the dashboard's download button)."""
    buffer = io.BytesIO()
    write_bundle(view, buffer)
    return buffer.getvalue()


def write_bundle(view: ExportView, target: str | Path | IO[bytes]) -> None:
    """Write the bundle of an export view as a zip to a path or a binary file (deflated; profiles.npy
    stored: float16 barely deflates). Arrays are written straight into their member, so a 1M-user
    bundle never holds its profiles as bytes besides the array itself."""
    model_id = str(view.embedding_info.get("model_id") or view.settings.get("model") or "")
    segments = [
        {
            "segment_id": int(s.segment_id),
            "name": s.name,
            "size": int(s.size),
            "share": float(s.share),
            "keywords": [str(term) for term, _ in s.keywords],
        }
        for s in view.segments
    ]
    members = view.members
    documents: dict[str, Any] = {
        "config.json": view.settings,
        "segments.json": segments,
        "assignments.json": {
            "user_id": members["user_id"].astype(str).tolist(),
            "segment_id": members["segment_id"].astype(int).tolist(),
            "confidence": members["confidence"].astype(float).tolist(),
            **({"control": members["control"].astype(bool).tolist()} if "control" in members else {}),
        },
        "ingest_report.json": view.ingest.to_dict(),
        "versions.json": _versions(model_id),
        "privacy.json": view.privacy,
    }
    state = dict(view.representation_state or {})
    hybrid = bool(state) and all(k[: -len(".npy")] in state for k in HYBRID_NPY)
    extra_json: dict[str, Any] = {}
    if hybrid:
        extra_json["representation.json"] = {
            "representation": "hybrid",
            "sentence_weight": float(state["sentence_weight"]),
        }
    documents["manifest.json"] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "run_id": view.run_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": [
            *JSON_MEMBERS,
            *NPY_MEMBERS,
            *(PROFILE_MEMBERS if view.profiles is not None else ()),
            *(HYBRID_MEMBERS if hybrid else ()),
        ],
    }
    arrays: dict[str, np.ndarray] = {
        "centroids.npy": np.ascontiguousarray(view.centroids, dtype=np.float32),
        "centroid_ids.npy": np.ascontiguousarray(view.centroid_segment_ids, dtype=np.int64),
    }
    if view.profiles is not None:
        arrays["profiles.npy"] = np.asarray(view.profiles)  # float16 as written, block by block
    if hybrid:
        arrays["tfidf_features.npy"] = np.ascontiguousarray(state["tfidf_features"], dtype=np.int64)
        arrays["tfidf_idf.npy"] = np.ascontiguousarray(state["tfidf_idf"], dtype=np.float32)
        arrays["tfidf_components.npy"] = np.ascontiguousarray(state["tfidf_components"], dtype=np.float32)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for name in JSON_MEMBERS:
            zf.writestr(name, json.dumps(documents[name], ensure_ascii=False, default=str, allow_nan=False))
        for name, doc in extra_json.items():
            zf.writestr(name, json.dumps(doc, ensure_ascii=False, allow_nan=False))
        for name, array in arrays.items():
            # float16 profiles deflate by ~4% at ~1.5 s per 100k users: stored as they are.
            info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
            info.compress_type = zipfile.ZIP_STORED if name in PROFILE_MEMBERS else zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16  # as writestr gives
            stored = np.float16 if name in PROFILE_MEMBERS else array.dtype
            size = array.size * np.dtype(stored).itemsize
            with zf.open(info, "w", force_zip64=size > (1 << 30)) as handle:
                if name in PROFILE_MEMBERS:
                    _save_float16(handle, array)
                else:
                    np.save(handle, array, allow_pickle=False)


def _save_float16(handle: IO[bytes], array: np.ndarray, rows: int = 65_536) -> None:
    """`np.save(handle, array.astype(np.float16))` without the whole float16 copy (1.3 GB at 1M x 640)."""
    from numpy.lib import format as npy

    header = {"descr": npy.dtype_to_descr(np.dtype(np.float16)), "fortran_order": False, "shape": array.shape}
    npy.write_array_header_1_0(handle, header)
    for start in range(0, len(array), rows):
        handle.write(np.ascontiguousarray(array[start : start + rows], dtype=np.float16).tobytes())


def _open_zip(source: str | Path | bytes) -> zipfile.ZipFile:
    """The bundle's zip, from bytes or read from its path as needed (a 1M-user bundle is > 1 GB)."""
    try:
        return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else Path(source))
    except (zipfile.BadZipFile, OSError) as exc:
        raise invalid("not a zip file.", "不是 zip 文件。") from exc


def _read_members(zf: zipfile.ZipFile) -> dict[str, bytes]:
    """Every expected member's bytes after checking the zip directory (no extraction to disk), except
    profiles.npy: its size follows from the assignments, so `_read_profiles` reads it against them."""
    expected = set(JSON_MEMBERS) | set(NPY_MEMBERS)
    allowed = expected | set(OPTIONAL_MEMBERS)
    infos = zf.infolist()
    names = [i.filename for i in infos]
    if len(names) != len(set(names)):
        raise invalid("duplicate member names.", "成员名称重复。")
    unknown = sorted(set(names) - allowed)
    if unknown:  # also rejects ../ paths, absolute paths and folders: only the exact names pass
        raise invalid(f"unexpected member {unknown[0][:80]!r}.", f"包含未知成员 {unknown[0][:80]!r}。")
    missing = sorted(expected - set(names))
    if missing:
        raise invalid(f"missing {', '.join(missing)}.", f"缺少 {', '.join(missing)}。")
    infos = [i for i in infos if i.filename not in PROFILE_MEMBERS]
    total = sum(i.file_size for i in infos)
    if total > MAX_BUNDLE_BYTES:
        raise invalid(
            f"it unpacks to {total:,} bytes (limit {MAX_BUNDLE_BYTES:,}).",
            f"解压后 {total:,} 字节，超过上限。",
        )
    return {info.filename: _member(zf, info, MAX_MEMBER_BYTES) for info in infos}


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.flag_bits & 0x1:
        raise invalid("encrypted members.", "成员已加密。")
    if info.file_size > limit or info.file_size > MAX_RATIO * max(info.compress_size, 1) + 4096:
        raise invalid(
            f"{info.filename} is suspiciously large for its size in the zip.",
            f"{info.filename} 压缩比异常。",
        )
    try:
        with zf.open(info) as handle:
            data = handle.read(info.file_size + 1)  # never more than the directory promised
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise invalid(f"{info.filename} is damaged.", f"{info.filename} 已损坏。") from exc
    if len(data) != info.file_size:
        raise invalid(f"{info.filename} does not match the zip directory.", f"{info.filename} 与目录不符。")
    return data


def _read_profiles(zf: zipfile.ZipFile, n_users: int, dim: int) -> np.ndarray | None:
    """profiles.npy, when present, no larger than (n_users, dim) float16 plus its header allows."""
    if "profiles.npy" not in zf.namelist():
        return None
    limit = n_users * dim * 2 + 4096  # float16 rows as the assignments, and the .npy header
    data = _member(zf, zf.getinfo("profiles.npy"), limit)
    profiles = _npy({"profiles.npy": data}, "profiles.npy", "f")
    del data
    return profiles


def _json(members: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(members[name].decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise invalid(f"{name} is not valid JSON.", f"{name} 不是有效的 JSON。") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _npy(members: dict[str, bytes], name: str, kind: str) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(members[name]), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise invalid(f"{name} is not a plain numeric array.", f"{name} 不是数值数组。") from exc
    if not isinstance(array, np.ndarray) or array.dtype.kind != kind:
        raise invalid(f"{name} has the wrong type.", f"{name} 类型错误。")
    return array


def load_bundle(source: str | Path | bytes) -> Bundle:
    """Read and validate a bundle written by `write_all`/`bundle_bytes`. Raises IngestError when invalid."""
    with _open_zip(source) as zf:
        return _load(zf)


def _load(zf: zipfile.ZipFile) -> Bundle:
    from core.config import AnalysisConfig
    from core.data import IngestReport

    members = _read_members(zf)
    manifest = _json(members, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise invalid("wrong format marker.", "格式标记不符。")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise invalid(
            f"format version {manifest.get('format_version')!r} is not supported.", "不支持该格式版本。"
        )

    # 1. Config: known fields only, each value's type and range checked (core.export.bundle_schema).
    known = {f.name for f in fields(AnalysisConfig)}
    try:
        config = AnalysisConfig(**config_values(_json(members, "config.json"), known))
    except (TypeError, ValueError, ConfigError) as exc:
        raise invalid("config.json has invalid settings.", "config.json 设置无效。") from exc

    # 2. Segments, centroids, assignments: shapes and ids must agree.
    segments = segments_frame(_json(members, "segments.json"))
    centroids = _npy(members, "centroids.npy", "f").astype(np.float32)
    centroid_ids = _npy(members, "centroid_ids.npy", "i").astype(np.int64)
    known_ids = set(segments["segment_id"].tolist()) | {-1}
    check_centroids(centroids, centroid_ids, known_ids)
    assignments = assignments_frame(_json(members, "assignments.json"), known_ids)
    profiles = _read_profiles(zf, len(assignments), centroids.shape[1])
    if profiles is not None:
        check_profiles(profiles, len(assignments), centroids.shape[1])
        profiles = profiles.astype(np.float32)

    report_raw = _json(members, "ingest_report.json")
    if not isinstance(report_raw, dict):
        raise invalid("ingest_report.json is not an object.", "ingest_report.json 不是对象。")
    report_fields = {f.name for f in fields(IngestReport)}
    try:
        report = IngestReport(**{k: v for k, v in report_raw.items() if k in report_fields})
    except (TypeError, AttributeError) as exc:
        raise invalid("ingest_report.json is invalid.", "ingest_report.json 无效。") from exc
    versions = _json(members, "versions.json")
    privacy = _json(members, "privacy.json")
    representation, state = _representation(members)
    if not isinstance(versions, dict) or not isinstance(privacy, list):
        raise invalid("versions.json or privacy.json is invalid.", "versions.json 或 privacy.json 无效。")
    return Bundle(
        run_id=str(manifest.get("run_id", "")),
        created=str(manifest.get("created", "")),
        config=config,
        model_id=str(versions.get("model_id", "")),
        segments=segments,
        centroids=centroids,
        centroid_ids=centroid_ids,
        assignments=assignments,
        ingest_report=report,
        versions={str(k): str(v) for k, v in versions.items()},
        privacy=[{str(k): str(v) for k, v in row.items()} for row in privacy if isinstance(row, dict)],
        profiles=profiles,
        representation=representation,
        representation_state=state,
    )


def _representation(members: dict[str, bytes]) -> tuple[str, dict[str, Any] | None]:
    """("hybrid", weight + TF-IDF arrays) when the bundle has them, else ("sentence", None); checked."""
    present = [name for name in HYBRID_MEMBERS if name in members]
    if not present:
        return "sentence", None
    if len(present) != len(HYBRID_MEMBERS):
        raise invalid("the hybrid representation files are incomplete.", "混合表示文件不完整。")
    meta = _json(members, "representation.json")
    weight: Any = meta.get("sentence_weight") if isinstance(meta, dict) else None
    if type(weight) not in (int, float) or not 0.0 <= float(weight) <= 1.0:
        raise invalid(
            "representation.json has no valid sentence weight.", "representation.json 的句向量权重无效。"
        )
    features = _npy(members, "tfidf_features.npy", "i").astype(np.int64)
    idf = _npy(members, "tfidf_idf.npy", "f").astype(np.float32)
    components = _npy(members, "tfidf_components.npy", "f").astype(np.float32)
    from core.embed.tfidf import HASH_FEATURES

    ok = (
        features.ndim == 1
        and idf.shape == features.shape
        and components.ndim == 2
        and components.shape[0] == len(features)
        and bool(np.isfinite(idf).all() and np.isfinite(components).all())
        and (len(features) == 0 or (features.min() >= 0 and features.max() < HASH_FEATURES))
    )
    if not ok:
        raise invalid("the TF-IDF arrays do not fit together.", "TF-IDF 数组不匹配。")
    return "hybrid", {
        "sentence_weight": float(weight),
        "tfidf_features": features,
        "tfidf_idf": idf,
        "tfidf_components": components,
    }
