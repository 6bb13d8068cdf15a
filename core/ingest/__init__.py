"""Stage 1, ingest: a file (path or bytes) -> a clean `Dataset` (events + items) and its `IngestReport`.

Takes CSV/TSV/Excel/Parquet bytes (plain, gzip or zip), sniffs format, encoding, delimiter and header,
maps columns to the canonical contract (English and Chinese synonyms, user overrides), joins an
items table on item id, cleans and de-duplicates, and accounts for every dropped row by reason.

Public entry points:
- `core.ingest.dataset.load_dataset(source, ...)` -> `Dataset`: the one call from a file to clean data
- `core.ingest.read.read_table(raw, ...)` -> `RawTable` (`core.ingest.rawtable`): bytes as exact strings
- `core.ingest.schema.infer_mapping`, `ColumnMapping`, `parse_mapping_overrides`: column roles
- `core.ingest.cleaning.clean(table, mapping, options)` -> `Dataset`; `CleaningOptions`
- `core.ingest.items.build_items`: the items table, joined on item id; `core.ingest.sniffing.ReadLimits`

Modules: sniffing (format, encoding, delimiter, header), textparse (strict and fast CSV parsers),
read + rawtable + excel (readers), local + stream (local paths: files, folders and globs of parts,
CSV streamed by pyarrow.csv, Parquet parts by pyarrow.dataset), converters (ratings, timestamps, numbers), schema + synonyms
(mapping), items (items table), cleaning (rows -> canonical events), dataset (the composition).
"""
