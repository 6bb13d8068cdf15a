"""Ingest on Spark: read CSV/TSV/Parquet (a file, `.gz`, or a directory of parts) and clean it with
core.ingest's own rules, so the ingest report matches the local engine's on the same file.

1. A head of the first file (1 MiB) goes through core.ingest.read_table on the driver: delimiter,
   encoding, header and column names are sniffed exactly as the local engine does; the mapping is
   core.ingest.schema.resolve_mapping; `clean()` on the head gives one row known to be kept.
2. Spark reads every row as strings with its source line (a partition-offset index, no Python).
3. Exact duplicate rows are grouped in Spark (`_n` copies, first line kept): a copy of a kept row is
   rejected as `duplicate`, a copy of a rejected row for the same reason as its first (rejection
   depends only on a row's cells), so `frame.duplicated` needs no global view.
4. Each partition (source-line ranges of ROWS_PER_PARTITION distinct rows) runs core.ingest.cleaning.clean
   (mapInPandas). Two guard rows make partition-local decisions global: a copy of the known-kept row
   under a guard user (so no partition is ever "no usable rows"), and, when the whole table has
   Online Retail service codes, a guard row with item POST (so every partition applies the
   non-product-code rule). Guards are removed from the output and from the counts.
5. The driver merges the partition reports: rows in = kept + rejected by reason, exactly.

Differences from the local engine, said in the report's warnings when they apply: records spanning
lines (quoted newlines) are not supported in CSV; per-partition conversion warnings that quote a
count are listed per partition; the bulk-failure rule (a typed column mostly unreadable) is decided
per partition and a disagreement is an error.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data import Dataset, IngestReport
from core.errors import IngestError

ROWS_PER_PARTITION = 400_000  # distinct rows cleaned per pandas call (about 0.5 GB at 10 columns)
HEAD_BYTES = 1 << 20
TEXT_SAMPLE = 200_000  # raw text cells the plausibility checks read (they sample 100,000)
GUARD_USER = "\u2063interest-lens-guard"  # INVISIBLE SEPARATOR prefix: no real id looks like it
GUARD_POST_USER = "\u2063interest-lens-guard-post"
GUARD_LINE, GUARD_POST_LINE = -1, -2
_LINE, _COUNT, _META, _DUPS = "_line", "_n", "_meta", "_dups"


@dataclass(frozen=True)
class SparkSource:
    """What the driver learnt from the head of the first file."""

    path: str
    files: tuple[str, ...]
    file_format: str  # csv | tsv | parquet
    compression: str
    encoding: str
    delimiter: str
    has_header: bool
    columns: tuple[str, ...]
    source_name: str
    warnings: tuple[str, ...]


def _head_bytes(handle: Any, magic: bytes) -> tuple[bytes, bool]:
    """Up to HEAD_BYTES of decompressed text from an open file at its start, cut at a line end
    (-> bytes, whole file read)."""
    reader: Any = gzip.GzipFile(fileobj=handle) if magic[:2] == b"\x1f\x8b" else handle
    data = reader.read(HEAD_BYTES + 1)
    if len(data) <= HEAD_BYTES:
        return data, True
    return data[: data.rfind(b"\n") + 1], False


def sniff_source(
    path: str | Path, *, encoding: str | None, delimiter: str | None, has_header: bool, spark: Any = None
):
    """-> (SparkSource, head RawTable) from the first file, read by core.ingest.read.read_table.

    `path`: a local file, folder or glob, or a URI Spark's Hadoop file systems read (core.engines.spark_files)."""
    from core.engines.spark_files import base_name, list_parts, open_binary
    from core.ingest.read import read_table

    files = list_parts(path, spark)
    first = files[0]
    first_name = base_name(first)
    with open_binary(first, spark) as handle:
        magic = handle.read(4)
        handle.seek(0)
        if magic == b"PAR1":
            import pyarrow.parquet as pq

            table = pq.ParquetFile(handle).read_row_group(0).slice(0, 20_000)
        elif magic[:2] == b"PK":
            raise IngestError(
                "The Spark engine reads CSV/TSV (plain or .gz) and Parquet; unzip the file first.",
                "Spark 引擎读取 CSV/TSV（普通或 .gz）和 Parquet；请先解压 zip 文件。",
            )
        else:
            head, _ = _head_bytes(handle, magic)
    if magic == b"PAR1":
        buffer = __import__("io").BytesIO()
        pq.write_table(table, buffer)
        raw = read_table(buffer.getvalue(), first_name)
    else:
        raw = read_table(head, first_name, encoding=encoding, delimiter=delimiter, has_header=has_header)
        if has_header and raw.header_row != 1:
            raise IngestError(
                f"The header of '{first_name}' is on line {raw.header_row}; the Spark engine needs it on line 1. "
                "Remove the lines above it, or use the local engine.",
                f"“{first_name}”的表头在第 {raw.header_row} 行；Spark 引擎要求表头在第 1 行。请删除其上方的行，或使用本地引擎。",
            )
    source = SparkSource(
        path=str(path),
        files=tuple(files),
        file_format=raw.file_format,
        compression="gzip" if magic[:2] == b"\x1f\x8b" else "",
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        has_header=has_header,
        columns=tuple(str(c) for c in raw.frame.columns),
        source_name=base_name(path)
        if len(files) > 1 or first_name != base_name(path)
        else _unzipped_name(first_name, magic),
        warnings=tuple(raw.warnings),
    )
    return source, raw


def _unzipped_name(name: str, magic: bytes) -> str:
    """The local reader's name for a file: "x.csv.gz" (gzip) reads as "x.csv"."""
    return name[:-3] if magic[:2] == b"\x1f\x8b" and name.lower().endswith(".gz") else name


def _spark_encoding(name: str) -> str:
    low = (name or "utf-8").lower().replace("_", "-")
    return "UTF-8" if low in ("utf-8", "utf-8-sig", "ascii") else name


def read_raw(spark: Any, source: SparkSource) -> tuple[Any, list[str], int]:
    """Every row as strings (columns named as the local reader names them) plus `_line`; the
    column names; the row count (from the per-partition counts, no second pass)."""
    from pyspark.sql import functions as F

    paths = list(source.files)
    if source.file_format == "parquet":
        df = spark.read.parquet(*paths)
        df = df.select([F.col(f"`{c}`").cast("string").alias(f"c{i}") for i, c in enumerate(df.columns)])
    else:
        df = spark.read.csv(
            paths,
            header=source.has_header,
            sep=source.delimiter,
            encoding=_spark_encoding(source.encoding),
            quote='"',
            escape='"',
            inferSchema=False,
            multiLine=False,
            ignoreLeadingWhiteSpace=False,
            ignoreTrailingWhiteSpace=False,
            nullValue="\u0000never\u0000",  # keep "" as "", never null
            emptyValue="",
            mode="PERMISSIVE",
        )
        if len(df.columns) != len(source.columns):
            raise IngestError(
                f"Spark read {len(df.columns)} columns but the header has {len(source.columns)}; check the delimiter.",
                f"Spark 读到 {len(df.columns)} 列，但表头有 {len(source.columns)} 列；请检查分隔符。",
            )
    names = list(source.columns)
    df = df.toDF(*[f"c{i}" for i in range(len(df.columns))]).fillna("")
    # Contiguous source lines without a Python pass: partition offsets from per-partition counts.
    df = df.withColumn("_pid", F.spark_partition_id()).withColumn("_mid", F.monotonically_increasing_id())
    df = df.persist()
    counts = dict(df.groupBy("_pid").count().collect())
    offsets, total = {}, 0
    for pid in sorted(counts):
        offsets[pid] = total
        total += counts[pid]
    first_line = 2 if source.has_header else 1
    mapping = F.create_map(*[x for pid, off in offsets.items() for x in (F.lit(pid), F.lit(off))])
    df = df.withColumn(
        _LINE,
        (mapping[F.col("_pid")] + (F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33)) + first_line),
    ).drop("_pid", "_mid")
    return df, names, total


def _events_schema(events: pd.DataFrame) -> str:
    parts = []
    for name, dtype in events.dtypes.items():
        if name == "source_row":
            kind = "long"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kind = "timestamp_ntz"
        elif pd.api.types.is_float_dtype(dtype):
            kind = "double"
        else:
            kind = "string"
        parts.append(f"`{name}` {kind}")
    return ", ".join(parts)


def _clean_partitions(
    names: list[str],
    mapping: Any,
    items_raw: Any,
    items_overrides: Mapping[str, Any] | None,
    options: Any,
    guard: dict[str, str] | None,
    post_guard: bool,
    source: SparkSource,
    columns_out: list[str],
):
    """The mapInPandas function: one core `clean()` per partition -> kept events + one meta row."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from core.ingest.cleaning import clean
        from core.ingest.converters import parse_ratings, parse_timestamps
        from core.ingest.rawtable import RawTable

        parts = list(batches)
        if not parts or not sum(len(p) for p in parts):
            return
        pdf = pd.concat(parts, ignore_index=True).sort_values(_LINE, kind="stable").reset_index(drop=True)
        frame = pd.DataFrame({n: pdf[f"c{i}"].astype("str") for i, n in enumerate(names)})
        lines = pdf[_LINE].to_numpy(np.int64)
        copies = dict(zip(lines.tolist(), pdf[_COUNT].to_numpy(np.int64).tolist(), strict=True))
        others = dict(zip(lines.tolist(), pdf[_DUPS].tolist(), strict=True))
        real = len(frame)
        if guard is not None:
            extra = [dict(guard, **{mapping.user_id: GUARD_USER})]
            extra_lines = [GUARD_LINE]
            if post_guard:
                extra.append(dict(guard, **{mapping.user_id: GUARD_POST_USER, mapping.item_id: "POST"}))
                extra_lines.append(GUARD_POST_LINE)
            frame = pd.concat([frame, pd.DataFrame(extra, columns=names).astype("str")], ignore_index=True)
            lines = np.concatenate([lines, np.array(extra_lines, dtype=np.int64)])
        raw = RawTable(
            frame=frame,
            lines=lines,
            source_name=source.source_name,
            file_format=source.file_format,
            compression=source.compression,
            encoding=source.encoding,
            delimiter=source.delimiter,
            header_row=1 if source.has_header else 0,
        )
        opts = replace(options, max_rejected_rows=10**12, max_examples=10**12)
        dataset = clean(raw, mapping, items=items_raw, items_overrides=items_overrides, options=opts)
        rep = dataset.report
        events = dataset.events
        events = events[~events["user_id"].isin([GUARD_USER, GUARD_POST_USER])]
        rejected: dict[str, int] = {}
        examples: dict[str, list[int]] = {}
        rej = dataset.rejected if dataset.rejected is not None else pd.DataFrame(columns=["line", "reason"])
        for line, reason in zip(rej["line"].astype(np.int64).tolist(), rej["reason"].tolist(), strict=True):
            if line < 0:
                continue
            rejected[reason] = rejected.get(reason, 0) + copies[line]
            examples.setdefault(reason, []).extend([line, *map(int, others[line])])
        dup_rows = [int(r) for r in events["source_row"].tolist() if copies[int(r)] > 1]
        if dup_rows:
            rejected["duplicate"] = rejected.get("duplicate", 0) + sum(copies[r] - 1 for r in dup_rows)
            examples.setdefault("duplicate", []).extend(int(v) for r in dup_rows for v in others[r])
        weights = pdf[_COUNT].to_numpy(np.int64)
        empties = {}
        for canonical, convert in (("timestamp", parse_timestamps), ("rating", parse_ratings)):
            column = rep.mapping.get(canonical)
            if column and any(
                w.endswith(f" rows have no {canonical} (kept, left empty).") for w in rep.warnings
            ):
                empties[canonical] = int(weights[convert(frame[column].iloc[:real]).empty].sum())
        items = dataset.items[dataset.items["item_id"].isin(set(events["item_id"].tolist()))]
        texts, reviews = _item_text_counts(frame, lines, events, mapping, items_raw, items_overrides, opts)
        meta = {
            "first_line": int(lines[0]),
            "rows": int(sum(copies.values())),
            "kept": len(events),
            "rejected": rejected,
            "examples": {k: sorted(v)[:20] for k, v in examples.items()},
            "empties": empties,
            "mapping": rep.mapping,
            "attributes": rep.attributes,
            "event_type_default": rep.cleaning.get("event_type_default", ""),
            "warnings": list(rep.warnings),
            "items_rows_in": rep.items_rows_in,
            "items_source": rep.items_source,
            "items_mapping": rep.items_mapping,
            "items_unmatched_events": rep.items_unmatched_events,
            "items_matched_events": rep.items_matched_events,
            "items": items.astype(str).to_dict(orient="list"),
            "item_texts": texts,
            "item_reviews": reviews,
        }
        out = events.reindex(columns=columns_out[:-2]).copy()
        out[_COUNT] = 1
        out[_META] = None
        yield out
        meta_row = pd.DataFrame({c: [None] for c in columns_out})
        meta_row[_META] = json.dumps(meta, ensure_ascii=False, default=str)
        yield meta_row

    return run


def spark_ingest(
    spark: Any,
    path: str | Path,
    *,
    mapping_overrides: Mapping[str, str | Sequence[str] | None] | None = None,
    items: str | Path | None = None,
    items_mapping_overrides: Mapping[str, str | Sequence[str] | None] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool = True,
    options: Any = None,
    rows_per_partition: int = ROWS_PER_PARTITION,
) -> tuple[Any, IngestReport, pd.DataFrame, dict[str, pd.Series]]:
    """-> (kept events as a cached Spark DataFrame, merged IngestReport, items DataFrame, the raw
    cells of the text columns (up to TEXT_SAMPLE rows) for the plausibility checks)."""
    from pyspark.sql import functions as F

    from core.engines.spark_files import base_name, read_bytes
    from core.ingest.cleaning import _DISTINCTIVE_CODES, CleaningOptions, clean
    from core.ingest.items import items_mapping
    from core.ingest.read import read_table
    from core.ingest.schema import resolve_mapping
    from core.ingest.sniffing import ReadLimits

    opts = options or CleaningOptions()
    source, head = sniff_source(
        path, encoding=encoding, delimiter=delimiter, has_header=has_header, spark=spark
    )
    mapping = resolve_mapping(list(head.frame.columns), mapping_overrides, header_row=head.header_row)
    items_raw = None
    if items is not None:
        items_raw = read_table(read_bytes(str(items), ReadLimits().max_upload_bytes, spark), base_name(items))
    # A row the rules keep (the head cleaned locally), for the guard rows.
    head_set = clean(head, mapping, items=items_raw, items_overrides=items_mapping_overrides, options=opts)
    kept_line = int(head_set.events["source_row"].iat[0])
    guard_row = head.frame[head.lines == kept_line].iloc[0].astype(str).to_dict()

    raw, names, rows_in = read_raw(spark, source)
    data_cols = [f"c{i}" for i in range(len(names))]
    if rows_in == 0:
        raise IngestError("The table has a header but no data rows.", "数据表只有表头，没有数据行。")
    post_guard = False
    if mapping.item_id and opts.drop_non_product_codes:
        item_col = f"c{names.index(mapping.item_id)}"
        post_guard = raw.filter(F.col(item_col).isin(list(_DISTINCTIVE_CODES))).limit(1).count() > 0
    grouped = raw.groupBy(*data_cols).agg(
        F.min(_LINE).alias(_LINE),
        F.count(F.lit(1)).alias(_COUNT),
        F.slice(F.array_sort(F.collect_list(_LINE)), 2, 20).alias(_DUPS),  # the other copies' lines
    )
    n_parts = max(1, -(-rows_in // rows_per_partition))
    grouped = grouped.repartitionByRange(n_parts, _LINE).sortWithinPartitions(_LINE)

    events_schema = _events_schema(head_set.events)
    columns_out = [*head_set.events.columns, _COUNT, _META]
    schema = events_schema + f", `{_COUNT}` long, `{_META}` string"
    fn = _clean_partitions(
        names, mapping, items_raw, items_mapping_overrides, opts, guard_row, post_guard, source, columns_out
    )
    cleaned = grouped.mapInPandas(fn, schema).persist()
    metas = [json.loads(r[0]) for r in cleaned.filter(F.col(_META).isNotNull()).select(_META).collect()]
    metas.sort(key=lambda m: m["first_line"])
    events = cleaned.filter(F.col(_META).isNull()).drop(_COUNT, _META).persist()
    report = _merge_reports(metas, source, rows_in, list(head.warnings), dict(head_set.report.cleaning))
    items_df = _merge_items(metas, head_set.items.columns, opts.review_text_cap)
    report.n_items = len(items_df)
    report.n_users = events.select("user_id").distinct().count()
    text_columns: dict[str, pd.Series] = {}
    wanted = [c for c in (*mapping.text, mapping.review) if c]
    if wanted:
        cells = raw.select([f"c{names.index(c)}" for c in wanted]).limit(TEXT_SAMPLE).toPandas()
        text_columns = {c: cells[f"c{names.index(c)}"].astype("str") for c in wanted}
    if items_raw is not None:
        for column in items_mapping(items_raw, items_mapping_overrides).text:
            text_columns.setdefault(column, items_raw.frame[column])
    raw.unpersist()
    return events, report, items_df, text_columns


def _merge_reports(
    metas: list[dict[str, Any]],
    source: SparkSource,
    rows_in: int,
    raw_warnings: list[str],
    cleaning: dict[str, Any],
) -> IngestReport:
    first = metas[0]
    for meta in metas[1:]:
        if meta["mapping"] != first["mapping"]:
            raise IngestError(
                "Parts of the table were read with different column mappings (a typed column is unreadable "
                "in some rows only). Fix that column or map it explicitly with --map.",
                "表格不同部分的列映射不一致（某个类型列仅部分行无法读取）。请修正该列或用 --map 明确指定。",
            )
    rejected: dict[str, int] = {}
    examples: dict[str, list[int]] = {}
    warnings: list[str] = []
    for meta in metas:
        for reason, count in meta["rejected"].items():
            rejected[reason] = rejected.get(reason, 0) + int(count)
            examples.setdefault(reason, []).extend(meta["examples"].get(reason, []))
        for warning in meta["warnings"]:
            if warning not in warnings:
                warnings.append(warning)
    empties: dict[str, int] = {}
    for meta in metas:
        for canonical, count in meta["empties"].items():
            empties[canonical] = empties.get(canonical, 0) + int(count)
    counted = re.compile(r"^[\d,]+ rows have no (timestamp|rating) \(kept, left empty\)\.$")
    merged: list[str] = []
    for warning in warnings:  # per-partition counts -> one line with the table's count
        hit = counted.match(warning)
        if hit is None:
            merged.append(warning)
        elif hit.group(1) in empties:
            line = f"{empties.pop(hit.group(1)):,} rows have no {hit.group(1)} (kept, left empty)."
            merged.append(line)
    warnings = merged
    kept = sum(int(m["kept"]) for m in metas)
    report = IngestReport(
        source_name=source.source_name,
        file_format=source.file_format,
        compression=source.compression,
        encoding=source.encoding,
        delimiter=source.delimiter,
        header_row=1 if source.has_header else 0,
        rows_in=rows_in,
        rows_kept=kept,
        rows_rejected=dict(sorted(rejected.items(), key=lambda kv: -kv[1])),
        rejected_examples={k: sorted(v)[:20] for k, v in examples.items()},
        mapping=first["mapping"],
        attributes=first["attributes"],
        cleaning={**cleaning, "event_type_default": first["event_type_default"]},
        n_events=kept,
        items_source=first["items_source"],
        items_rows_in=first["items_rows_in"],
        items_mapping=first["items_mapping"],
        items_unmatched_events=sum(int(m["items_unmatched_events"]) for m in metas),
        items_matched_events=sum(int(m["items_matched_events"]) for m in metas)
        - (len(metas) if first["items_source"] else 0),  # the kept guard row matched in every partition
        warnings=[*raw_warnings, *[w for w in warnings if w not in raw_warnings]],
    )
    if not report.reconciled:
        raise IngestError(
            f"Internal error: {rows_in:,} rows in but {kept:,} kept and {sum(rejected.values()):,} rejected.",
            f"内部错误：读入 {rows_in:,} 行，但保留 {kept:,} 行、拒绝 {sum(rejected.values()):,} 行。",
        )
    return report


def _item_text_counts(
    frame: pd.DataFrame,
    lines: np.ndarray,
    events: pd.DataFrame,
    mapping: Any,
    items_raw: Any,
    items_overrides: Mapping[str, Any] | None,
    opts: Any,
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """This partition's share of core.ingest.items.build_items' choice of each item's text, so the
    driver can make it over the whole table: every (item, text) pair of the kept events with its count
    and first source line, and, for the items without text here, their reviews joined (capped)."""
    from core.data import IngestReport
    from core.ingest.items import index_items_table, join_text

    pos = pd.Index(lines).get_indexer(events["source_row"].to_numpy(np.int64))
    rows = frame.iloc[pos].reset_index(drop=True)
    text = join_text(rows, tuple(mapping.text))
    item = events["item_id"].astype("str").reset_index(drop=True)
    if items_raw is not None:  # as clean() does: the items table's text for known items
        table = index_items_table(items_raw, IngestReport(source_name=""), items_overrides)
        joined = item.map(table["text"])
        text = pd.Series(np.where(joined.notna(), joined.fillna(""), text), dtype="str")
    pairs = pd.DataFrame(
        {"item_id": item, "text": text.astype("str"), "line": events["source_row"].to_numpy(np.int64)}
    )
    with_text = pairs[pairs["text"] != ""]
    counts = with_text.groupby(["item_id", "text"], sort=False)["line"].agg(["size", "min"]).reset_index()
    texts = {
        "item_id": counts["item_id"].tolist(),
        "text": counts["text"].tolist(),
        "n": counts["size"].astype(int).tolist(),
        "first": counts["min"].astype(int).tolist(),
    }
    review = events["review"].astype("str").reset_index(drop=True)
    bare = (~item.isin(set(with_text["item_id"]))) & (review != "")
    cap = opts.review_text_cap
    joined_reviews = review[bare].groupby(item[bare], sort=False).agg(lambda s: " ".join(s)[:cap])
    reviews = {"item_id": joined_reviews.index.astype(str).tolist(), "review": joined_reviews.tolist()}
    return texts, reviews


def _merge_items(metas: list[dict[str, Any]], columns: Sequence[str], cap: int) -> pd.DataFrame:
    """The partitions' items in first-seen order; each item's text chosen over the whole table as
    core.ingest.items.build_items chooses it: the most frequent text (ties: the one seen first), else
    its reviews joined and capped at `cap` characters."""
    frames = [pd.DataFrame(m["items"]) for m in metas if m["items"]]
    items = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))
    items = items.drop_duplicates("item_id", keep="first").reset_index(drop=True)
    texts = pd.concat([pd.DataFrame(m["item_texts"]) for m in metas], ignore_index=True)
    if len(texts):
        totals = texts.groupby(["item_id", "text"], sort=False).agg(n=("n", "sum"), first=("first", "min"))
        best = (
            totals.reset_index()
            .sort_values(["n", "first"], ascending=[False, True], kind="stable")
            .drop_duplicates("item_id")
            .set_index("item_id")["text"]
        )
    else:
        best = pd.Series(dtype="str")
    chosen = items["item_id"].map(best)
    reviews = pd.concat([pd.DataFrame(m["item_reviews"]) for m in metas], ignore_index=True)
    if len(reviews):  # partitions in source order: joining their joins is joining all reviews
        joined = reviews.groupby("item_id", sort=False)["review"].agg(lambda s: " ".join(s)[:cap])
        chosen = chosen.where(chosen.notna(), items["item_id"].map(joined))
    if "text" in items.columns:
        items["text"] = chosen.fillna("").astype("str")
    return items.reindex(columns=list(columns)).astype("str")


def collect_dataset(
    events: Any, report: IngestReport, items: pd.DataFrame, text_columns: dict[str, pd.Series]
) -> Dataset:
    """The kept events on the driver (source order) as a core `Dataset`, with the plausibility findings."""
    import pyarrow as pa

    from core.engines.spark_session import collect_arrow
    from core.ingest.plausibility import check_plausibility

    # Sorted on the driver: a Spark orderBy of 10M rows is a range shuffle, an Arrow sort is seconds.
    table = collect_arrow(events).sort_by("source_row")
    strings = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    frame = table.to_pandas()
    del table
    for name in frame.columns:
        if name in strings or frame[name].dtype == object:
            frame[name] = frame[name].fillna("").astype("str")
    if "timestamp" in frame.columns:
        stamps = pd.to_datetime(frame["timestamp"])
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        frame["timestamp"] = stamps.astype("datetime64[ns]")
    frame["source_row"] = frame["source_row"].astype(np.int64)
    dataset = Dataset(events=frame.reset_index(drop=True), items=items, report=report)
    findings = check_plausibility(dataset, text_columns=text_columns)
    report.plausibility = [f.to_dict() for f in findings]
    from core.embed.language import detect_language

    report.language = detect_language(items["text"].tolist()).to_dict()
    return dataset
