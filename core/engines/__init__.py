"""Engines that run the pipeline somewhere other than in this Python process.

Takes: a path to an events table (CSV/TSV/Parquet, a file or a directory of parts) and an
`AnalysisConfig`. Gives: the same `Analysis` the local pipeline gives (so every exporter, the
bundle and `python -m core assign` work unchanged), plus per-user assignments as Parquet.
`core.engines.spark` runs ingest, profiles and clustering on Apache Spark (local mode by default).
"""
