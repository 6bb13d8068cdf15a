"""A finished analysis saved to a folder and opened again, without recomputing and without pickle.

`save_analysis(analysis, folder)` writes everything an `Analysis` holds; `load_analysis(folder)`
returns an `Analysis` that every page and exporter reads exactly like the original (same members,
segments, recommendations). `python -m core analyze` writes one into OUT/analysis/, and the
dashboard opens it ("Open a finished run" on the Data page).

Layout (format "interest-lens-analysis", version 1):
    manifest.json       format, version, run_id, created, counts (users, items, events, dim, k), files
    events.parquet      Dataset.events (dtypes as in core/data.py)
    items.parquet       Dataset.items
    rejected.parquet    Dataset.rejected (when the run kept rejected rows)
    users.parquet       user_id, event_count, top_items (list<string>): row order of every user array
    item_ids.parquet    item_id: row order of item_vectors
    *.npy               item_vectors, profiles (n_users, dim) float32, coords (n_users, 2), coords3d,
                        labels, confidence, distance, sizes, centroids, stability, outlier_mask, tree,
                        tree_users, repr_<key> (the hybrid representation's arrays)
    k_advice.parquet    the K advisor's table
    analysis.json       config, segmentation scalars, segments, k advice, quality, timings,
                        embedding/projection info, warnings, ingest report, skipped users
Arrays are read with `np.load(allow_pickle=False)`; JSON carries tagged values for what plain JSON
loses (tuples, non-string keys, bilingual `Note`s, NaN). Every count and shape is checked on load.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import AnalysisError, ConfigError
from core.notes import Note
from core.progress import Progress, no_progress

if TYPE_CHECKING:
    from core.analysis import Analysis

FORMAT = "interest-lens-analysis"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SAVED_DIR = "analysis"  # python -m core analyze --out OUT writes OUT/analysis/
PROFILE_DTYPES = ("float32", "float16")
_OPTIONAL_ARRAYS = ("coords3d", "stability", "outlier_mask", "tree", "tree_users")


class SnapshotError(ConfigError):
    """The folder is not a saved analysis, or its files do not fit together."""


def _bad(en: str, zh: str) -> SnapshotError:
    return SnapshotError(
        f"This saved analysis cannot be opened: {en}", f"无法打开此已保存的分析：{zh}", code="snapshot"
    )


# --- tagged JSON ----------------------------------------------------------------------------
def _encode(value: Any, where: str) -> Any:
    """A JSON-safe, tagged copy: tuples, Notes, non-string keys and numpy scalars survive the trip."""
    if isinstance(value, Note):
        return {"$note": [str(value), value.zh]}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, np.generic):
        return _encode(value.item(), where)
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, where) for v in value]}
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v, where) for k, v in value.items()}
        return {"$items": [[_encode(k, where), _encode(v, where)] for k, v in value.items()]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.ndim == 1 and value.size <= 64:
        return {"$array": [value.dtype.str, value.tolist()]}
    raise AnalysisError(
        f"Cannot save the analysis: {where} holds a {type(value).__name__}, which the saved format does not store.",
        f"无法保存分析：{where} 含有 {type(value).__name__} 类型的值，保存格式不支持。",
    )


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            tag, body = next(iter(value.items()))
            if tag == "$note" and isinstance(body, list) and len(body) == 2:
                return Note(str(body[0]), str(body[1]))
            if tag == "$tuple" and isinstance(body, list):
                return tuple(_decode(v) for v in body)
            if tag == "$items" and isinstance(body, list):
                return {_hashable(_decode(k)): _decode(v) for k, v in body}
            if tag == "$array" and isinstance(body, list) and len(body) == 2:
                return np.asarray(body[1], dtype=np.dtype(str(body[0])))
        return {str(k): _decode(v) for k, v in value.items()}
    return value


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


# --- save -----------------------------------------------------------------------------------
def save_analysis(
    analysis: Analysis,
    folder: str | Path,
    *,
    profile_dtype: str = "float32",
    progress: Progress | None = None,
) -> Path:
    """Write `analysis` into `folder` (created; files written to .part names, then renamed).

    profile_dtype: "float32" (exact: recommendations and exports are those of the original) or
    "float16" (half the size of profiles and item vectors; vectors then differ in the 4th digit)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if profile_dtype not in PROFILE_DTYPES:
        raise ConfigError(
            f"profile_dtype must be one of {', '.join(PROFILE_DTYPES)}.",
            f"profile_dtype 必须是 {'、'.join(PROFILE_DTYPES)} 之一。",
        )
    report = progress or no_progress
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    dataset, profiles, seg = analysis.dataset, analysis.profiles, analysis.segmentation
    files: dict[str, dict[str, Any]] = {}

    def table(name: str, frame: pd.DataFrame) -> None:
        path = out / name
        tmp = path.with_name(name + ".part")
        try:
            arrow = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column of mixed Python types: kept as text
            mixed = frame.select_dtypes(include="object").columns
            arrow = pa.Table.from_pandas(frame.astype({c: "str" for c in mixed}), preserve_index=False)
        pq.write_table(arrow, tmp, compression="zstd")
        os.replace(tmp, path)
        files[name] = {"rows": len(frame), "columns": [str(c) for c in frame.columns]}

    def array(name: str, values: Any, dtype: Any = None) -> None:
        data = np.ascontiguousarray(values if dtype is None else np.asarray(values, dtype=dtype))
        if data.dtype.kind not in "biuf":
            raise AnalysisError(
                f"Cannot save {name}: not a numeric array.", f"无法保存 {name}：不是数值数组。"
            )
        path = out / f"{name}.npy"
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as handle:
            np.save(handle, data, allow_pickle=False)
        os.replace(tmp, path)
        files[path.name] = {"shape": list(data.shape), "dtype": data.dtype.str}

    # 1. Tables: events, items, rejected rows, users, item order, K advice.
    report(0.0, Note("Saving events", "正在保存行为数据"))
    table("events.parquet", dataset.events)
    report(0.35, Note("Saving items and users", "正在保存商品和用户"))
    table("items.parquet", dataset.items)
    if dataset.rejected is not None:
        table("rejected.parquet", dataset.rejected)
    table(
        "users.parquet",
        pd.DataFrame(
            {
                "user_id": np.asarray(profiles.user_ids, dtype=object).astype(str),
                "event_count": np.asarray(profiles.event_counts, dtype=np.int64),
                "top_items": [[str(i) for i in items] for items in profiles.top_items],
            }
        ),
    )
    table(
        "item_ids.parquet", pd.DataFrame({"item_id": np.asarray(analysis.item_ids, dtype=object).astype(str)})
    )
    if analysis.k_advice is not None:
        table("k_advice.parquet", analysis.k_advice.table)

    # 2. Arrays.
    report(0.6, Note("Saving vectors and the map", "正在保存向量和地图"))
    array("item_vectors", analysis.item_vectors, profile_dtype)
    array("profiles", profiles.vectors, profile_dtype)
    array("coords", analysis.coords, np.float32)
    if analysis.coords3d is not None:
        array("coords3d", analysis.coords3d, np.float32)
    array("labels", seg.labels, np.int64)
    array("confidence", seg.confidence, np.float64)
    array("distance", seg.distance, np.float64)
    array("sizes", seg.sizes, np.int64)
    array("centroids", seg.centroids, np.float32)
    for name in ("stability", "outlier_mask", "tree", "tree_users"):
        value = getattr(seg, name)
        if value is not None:
            array(name, np.asarray(value))
    state_json: dict[str, Any] = {}
    for key, value in analysis.representation_state.items():
        if isinstance(value, np.ndarray):
            array(f"repr_{key}", value)
        else:
            state_json[key] = value

    # 3. Everything else as tagged JSON.
    report(0.9, Note("Saving segments and settings", "正在保存分群和设置"))
    advice = analysis.k_advice
    document = {
        "config": {f.name: getattr(analysis.config, f.name) for f in fields(analysis.config)},
        "segmentation": {
            "method": seg.method,
            "k": int(seg.k),
            "seed": int(seg.seed),
            "outlier_share": float(seg.outlier_share),
            "notes": tuple(seg.notes),
        },
        "segments": [{f.name: getattr(s, f.name) for f in fields(s)} for s in analysis.segments],
        "k_advice": None
        if advice is None
        else {f.name: getattr(advice, f.name) for f in fields(advice) if f.name != "table"},
        "projection_info": analysis.projection_info,
        "quality": analysis.quality,
        "timings": analysis.timings,
        "embedding_info": analysis.embedding_info,
        "warnings": list(analysis.warnings),
        "k_reason": analysis.k_reason,
        "representation_state": state_json,
        "ingest_report": {f.name: getattr(dataset.report, f.name) for f in fields(dataset.report)},
        "skipped_users": profiles.skipped_users,
        "rating_fallback_users": list(profiles.rating_fallback_users),
    }
    _write_text(out / "analysis.json", json.dumps(_encode(document, "the analysis"), ensure_ascii=False))
    files["analysis.json"] = {}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "run_id": analysis.run_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "n_users": len(profiles),
        "n_items": len(analysis.item_ids),
        "n_events": len(dataset.events),
        "dim": int(np.asarray(profiles.vectors).shape[1]),
        "k": int(seg.k),
        "profile_dtype": profile_dtype,
        "files": files,
    }
    _write_text(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))  # last: marks it complete
    report(1.0, Note("Analysis saved", "分析已保存"))
    return out


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --- load -----------------------------------------------------------------------------------
def find_saved(folder: str | Path) -> Path:
    """The saved-analysis folder at `folder` (or its `analysis/` subfolder, as analyze writes it).

    Only a directory that holds our manifest is accepted; nothing else at the path is read."""
    text = str(folder).strip()
    if not text or "\x00" in text:
        raise _bad("give the path of a folder.", "请填写文件夹路径。")
    path = Path(text).expanduser()
    if not path.is_dir():
        raise SnapshotError(
            "That path is not a folder on this machine.",
            "该路径不是本机上的文件夹。",
            code="snapshot_missing",
        )
    for candidate in (path, path / SAVED_DIR):
        manifest = candidate / MANIFEST
        inner_link = candidate != path and candidate.is_symlink()  # never followed out of the folder
        if candidate.is_dir() and not inner_link and manifest.is_file() and not manifest.is_symlink():
            return candidate
    raise SnapshotError(
        "That folder holds no saved analysis (no manifest.json of a run). Open the folder given to "
        "`python -m core analyze --out`, or its analysis/ subfolder.",
        "该文件夹中没有已保存的分析（没有运行结果的 manifest.json）。请打开 `python -m core analyze --out` "
        "指定的文件夹或其中的 analysis/ 子文件夹。",
        code="snapshot_none",
    )


def is_saved(folder: Path) -> bool:
    """Whether `folder` is a saved analysis (its manifest names our format): safe to replace."""
    try:
        return read_manifest(folder) is not None
    except SnapshotError:
        return False


def read_manifest(folder: Path) -> dict[str, Any]:
    """The checked manifest of a saved-analysis folder."""
    try:
        manifest = json.loads(_member(folder, MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _bad("manifest.json is not readable JSON.", "manifest.json 不是可读的 JSON。") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _bad("manifest.json is not that of a saved analysis.", "manifest.json 不属于已保存的分析。")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise _bad(
            f"it was written in format version {version!r}; this version reads up to {FORMAT_VERSION}. "
            "Update Interest Lens, or re-run the analysis.",
            f"它的格式版本为 {version!r}，当前版本最多读取 {FORMAT_VERSION}。请更新 Interest Lens 或重新运行分析。",
        )
    for key in ("n_users", "n_items", "n_events", "dim", "k"):
        if not isinstance(manifest.get(key), int) or manifest[key] < 0:
            raise _bad(f"manifest.json has no valid {key}.", f"manifest.json 缺少有效的 {key}。")
    if not isinstance(manifest.get("files"), dict):
        raise _bad("manifest.json lists no files.", "manifest.json 未列出文件。")
    return manifest


def load_analysis(folder: str | Path, *, progress: Progress | None = None) -> Analysis:
    """The `Analysis` saved in `folder` (or in its analysis/ subfolder), checked before it is used."""
    import pyarrow.parquet as pq

    from core.analysis import Analysis
    from core.config import AnalysisConfig
    from core.data import Dataset, IngestReport
    from core.embed.profiles import UserProfiles
    from core.explain.insights import SegmentProfile
    from core.segment.types import KAdvice, Segmentation

    report = progress or no_progress
    root = find_saved(folder)
    manifest = read_manifest(root)
    listed: dict[str, Any] = manifest["files"]
    n_users, n_items, dim, k = (manifest[key] for key in ("n_users", "n_items", "dim", "k"))

    def table(name: str, *, optional: bool = False) -> pd.DataFrame | None:
        if name not in listed:
            if optional:
                return None
            raise _bad(f"{name} is not listed in the manifest.", f"清单中没有 {name}。")
        path = _member(root, name)
        try:
            frame = pq.read_table(path).to_pandas()
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise _bad(
                f"{name} is not a readable Parquet file.", f"{name} 不是可读的 Parquet 文件。"
            ) from exc
        rows = listed[name].get("rows") if isinstance(listed[name], dict) else None  # checked: int
        if rows != len(frame):
            raise _bad(
                f"{name} has {len(frame):,} rows; the manifest says {rows}.",
                f"{name} 有 {len(frame):,} 行，清单记录为 {rows}。",
            )
        return frame

    def array(name: str, shape: tuple[int | None, ...], kinds: str, *, optional: bool = False) -> Any:
        file = f"{name}.npy"
        if file not in listed:
            if optional:
                return None
            raise _bad(f"{file} is not listed in the manifest.", f"清单中没有 {file}。")
        try:
            data = np.load(_member(root, file), allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise _bad(f"{file} is not a readable array.", f"{file} 不是可读的数组。") from exc
        fits = data.ndim == len(shape) and all(
            want is None or want == got for want, got in zip(shape, data.shape, strict=False)
        )
        entry = listed[file] if isinstance(listed[file], dict) else {}
        if not fits or data.dtype.kind not in kinds or list(data.shape) != entry.get("shape"):
            raise _bad(
                f"{file} has shape {data.shape} ({data.dtype}); expected {shape}.",
                f"{file} 的形状为 {data.shape}（{data.dtype}），应为 {shape}。",
            )
        if data.dtype.kind == "f" and not np.isfinite(data).all() and name not in ("coords", "coords3d"):
            raise _bad(f"{file} holds values that are not numbers.", f"{file} 含有非数值。")
        return data

    # 1. Tables.
    report(0.0, Note("Reading events", "正在读取行为数据"))
    events = table("events.parquet")
    report(0.4, Note("Reading items and users", "正在读取商品和用户"))
    items = table("items.parquet")
    rejected = table("rejected.parquet", optional=True)
    users = table("users.parquet")
    item_table = table("item_ids.parquet")
    advice_table = table("k_advice.parquet", optional=True)
    assert events is not None and items is not None and users is not None and item_table is not None
    if len(events) != manifest["n_events"] or len(users) != n_users or len(item_table) != n_items:
        raise _bad("the tables' row counts differ from the manifest.", "表的行数与清单不一致。")
    for name, frame, column in (("events", events, "user_id"), ("items", items, "item_id"),
                                ("users", users, "user_id"), ("item_ids", item_table, "item_id")):  # fmt: skip
        if column not in frame.columns:
            raise _bad(f"{name}.parquet has no {column} column.", f"{name}.parquet 缺少 {column} 列。")

    # 2. Arrays, each checked against the counts.
    report(0.7, Note("Reading vectors and the map", "正在读取向量和地图"))
    item_vectors = array("item_vectors", (n_items, dim), "f").astype(np.float32, copy=False)
    vectors = array("profiles", (n_users, dim), "f").astype(np.float32, copy=False)
    coords = array("coords", (n_users, 2), "f")
    coords3d = array("coords3d", (n_users, 3), "f", optional=True)
    labels = array("labels", (n_users,), "iu").astype(np.int64, copy=False)
    confidence = array("confidence", (n_users,), "f")
    distance = array("distance", (n_users,), "f")
    sizes = array("sizes", (None,), "iu").astype(np.int64, copy=False)
    centroids = array("centroids", (None, dim), "f")
    stability = array("stability", (None,), "f", optional=True)
    outlier_mask = array("outlier_mask", (n_users,), "b", optional=True)
    tree = array("tree", (None, None), "f", optional=True)
    tree_users = array("tree_users", (None,), "iu", optional=True)
    if n_users and (labels.min() < 0 or labels.max() >= max(len(centroids), 1)):
        raise _bad("labels.npy names segments that have no centroid.", "labels.npy 含有没有中心的分群。")

    # 3. The JSON document.
    report(0.9, Note("Reading segments and settings", "正在读取分群和设置"))
    try:
        document = _decode(json.loads(_member(root, "analysis.json").read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _bad("analysis.json is not readable JSON.", "analysis.json 不是可读的 JSON。") from exc
    if not isinstance(document, dict):
        raise _bad("analysis.json is not an object.", "analysis.json 不是对象。")
    try:
        config = AnalysisConfig(**_known(AnalysisConfig, document["config"]))
        seg_doc = document["segmentation"]
        segmentation = Segmentation(
            method=str(seg_doc["method"]), k=int(seg_doc["k"]), seed=int(seg_doc["seed"]), labels=labels,
            centroids=centroids, confidence=confidence, distance=distance, sizes=sizes,
            outlier_mask=outlier_mask, stability=stability, tree=tree, tree_users=tree_users,
            outlier_share=float(seg_doc["outlier_share"]), notes=tuple(seg_doc["notes"]),
        )  # fmt: skip
        segments = [SegmentProfile(**_known(SegmentProfile, s)) for s in document["segments"]]
        advice_doc = document["k_advice"]
        advice = (
            None
            if advice_doc is None or advice_table is None
            else KAdvice(table=advice_table, **_known(KAdvice, advice_doc))
        )
        ingest = IngestReport(**_known(IngestReport, document["ingest_report"]))
        top_items = [[str(i) for i in row] for row in users["top_items"]]
        profiles = UserProfiles(
            user_ids=users["user_id"].to_numpy(dtype=object),
            vectors=vectors,
            event_counts=users["event_count"].to_numpy(dtype=np.int64),
            top_items=top_items,
            skipped_users=dict(document["skipped_users"]),
            rating_fallback_users=list(document["rating_fallback_users"]),
        )
        state = dict(document["representation_state"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _bad("analysis.json is incomplete or malformed.", "analysis.json 不完整或格式错误。") from exc
    for file in listed:
        if file.startswith("repr_") and file.endswith(".npy"):
            state[file[len("repr_") : -len(".npy")]] = array(
                file[: -len(".npy")], (None,) * _ndim(listed[file]), "biuf"
            )
    if segmentation.k != k or len(segments) != len(sizes) or (n_users and int(sizes.sum()) != n_users):
        raise _bad("the segments do not add up to the users.", "分群与用户数不一致。")

    report(1.0, Note("Analysis opened", "分析已打开"))
    return Analysis(
        config=config,
        dataset=Dataset(events=events, items=items, report=ingest, rejected=rejected),
        item_ids=item_table["item_id"].to_numpy(dtype=object),
        item_vectors=item_vectors,
        profiles=profiles,
        segmentation=segmentation,
        k_advice=advice,
        coords=coords,
        coords3d=coords3d,
        projection_info=dict(document.get("projection_info") or {}),
        segments=segments,
        quality=dict(document.get("quality") or {}),
        timings=dict(document.get("timings") or {}),
        embedding_info=dict(document.get("embedding_info") or {}),
        run_id=str(manifest.get("run_id", "")),
        warnings=list(document.get("warnings") or []),
        k_reason=document.get("k_reason") or "",
        representation_state=state,
    )


def _ndim(entry: Any) -> int:
    shape = entry.get("shape") if isinstance(entry, dict) else None
    return len(shape) if isinstance(shape, list) else 1


def _member(root: Path, name: str) -> Path:
    """A file of the saved folder by its manifest name: a plain name, a regular file, no link."""
    if Path(name).name != name or name.startswith("."):
        raise _bad(
            f"the manifest names a file outside the folder ({name[:60]!r}).", "清单指向文件夹以外的文件。"
        )
    path = root / name
    if path.is_symlink() or not path.is_file():
        raise _bad(f"{name} is missing.", f"缺少 {name}。")
    return path


def _known(cls: Any, values: Any) -> dict[str, Any]:
    """The entries of `values` that are fields of dataclass `cls` (newer writers may add fields)."""
    if not isinstance(values, dict):
        raise TypeError(f"{cls.__name__}: not an object")
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names}
