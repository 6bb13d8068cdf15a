"""The read options every command that loads a table shares (ingest, analyze, evaluate): argparse
arguments -> `load_dataset` keyword arguments, then the plausibility gate unless --accept-warnings."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.data import Dataset
from core.ingest.plausibility import require_plausible
from core.ingest.schema import parse_mapping_overrides


def add_read_options(parser: argparse.ArgumentParser, *, items_help: str, map_help: str) -> None:
    """--items, --map and the options of issue 12: headerless files, the items table's mapping and
    delimiter, and --accept-warnings."""
    parser.add_argument("--items", help=items_help)
    parser.add_argument("--map", action="append", default=[], metavar="CANONICAL=COLUMN", help=map_help)
    parser.add_argument(
        "--no-header",
        action="store_true",
        help="the events file has no header row: columns are named 1, 2, 3, ... (--map user_id=1 --map item_id=2)",
    )
    parser.add_argument(
        "--items-map",
        action="append",
        default=[],
        metavar="CANONICAL=COLUMN",
        help="column mapping of the items table, e.g. --items-map item_id=Game_ID --items-map 'text=Game Name'",
    )
    parser.add_argument(
        "--items-no-header", action="store_true", help="the items table has no header row (columns 1, 2, ...)"
    )
    parser.add_argument(
        "--items-delimiter", help="field delimiter of the items table (default: detected; \\t for TAB)"
    )
    parser.add_argument(
        "--accept-warnings",
        action="store_true",
        help="use the data even when the plausibility checks say the mapping looks wrong",
    )


def _delimiter(value: str | None) -> str | None:
    return value.replace("\\t", "\t") if value else None


def load_from_args(args: argparse.Namespace, *, label_column: str | None = None) -> Dataset:
    """The dataset the arguments describe; PlausibilityError (exit 2) when a check fails and
    --accept-warnings was not given."""
    from core.ingest.dataset import load_dataset
    from core.ingest.local import require_local

    for path in (args.events, getattr(args, "items", None)):
        if path:
            require_local(str(path))
    overrides = parse_mapping_overrides(args.map or [])
    if label_column:
        overrides.setdefault("label", label_column)
    items = getattr(args, "items", None)
    dataset = load_dataset(
        Path(args.events),
        items=Path(items) if items else None,
        mapping_overrides=overrides,
        encoding=getattr(args, "encoding", None),
        delimiter=_delimiter(getattr(args, "delimiter", None)),
        sheet=getattr(args, "sheet", None),
        has_header=not args.no_header,
        items_mapping_overrides=parse_mapping_overrides(args.items_map or [], flag="--items-map"),
        items_delimiter=_delimiter(args.items_delimiter),
        items_has_header=not args.items_no_header,
    )
    if not args.accept_warnings:
        require_plausible(dataset.report)
    return dataset
