"""`python -m core evaluate`: its options and handler (the evaluation itself: core.recommend.evaluation)."""

from __future__ import annotations

import argparse
import json

from core import cli_options as options
from core.config import AnalysisConfig
from core.ingest.cli_args import add_read_options
from core.recommend.splits import SPLITS


def cli_evaluate(args: argparse.Namespace) -> int:
    """`python -m core evaluate EVENTS [--items ITEMS] [--split ..] [--top-k ..] [--test-size ..]
    [--segments K|auto] [--seed N] [--cutoff DATE] --out DIR` -> DIR/evaluation.json + evaluation.md.
    """
    from core.ingest.cli_args import load_from_args
    from core.recommend.evaluation import evaluate_dataset
    from core.recommend.readable import readable_tables
    from core.staging import staged_dir

    k_min, k_max = args.k_range
    dataset = load_from_args(args)
    result = evaluate_dataset(
        dataset,
        split=args.split,
        top_k=args.top_k,
        test_size=args.test_size,
        cutoff=getattr(args, "cutoff", None),
        segments="auto" if args.segments is None else args.segments,
        seed=args.seed,
        config=AnalysisConfig(
            seed=args.seed,
            k_min=k_min,
            k_max=k_max,
            model=getattr(args, "model", None),
            representation=getattr(args, "representation", "hybrid"),
        ),
        progress=getattr(args, "progress", None),
    )
    verdicts = [f"- {t.verdict}" for t in readable_tables(result.to_json()) if t.verdict]
    text = (
        "# Offline evaluation\n\n" + ("\n".join(verdicts) + "\n\n" if verdicts else "") + result.to_markdown()
    )
    with staged_dir(args.out) as out:  # both files or neither
        (out / "evaluation.json").write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
        (out / "evaluation.md").write_text(text, encoding="utf-8")
    return 0


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python -m core evaluate` (for core/cli.py's registry)."""
    parser.add_argument("events", help="events file (csv/tsv/xlsx/parquet, optionally compressed)")
    add_read_options(
        parser,
        items_help="items table joined on item_id (e.g. MovieLens movies.csv)",
        map_help="override a column mapping, as for analyze",
    )
    parser.add_argument("--split", choices=SPLITS, default="temporal")
    parser.add_argument("--top-k", type=options.bounded_int("--top-k", 1, 10**12), default=10)
    parser.add_argument(
        "--test-size",
        type=options.bounded_int("--test-size", 1, 10**6),
        default=5,
        help="held-out interactions per user",
    )
    parser.add_argument(
        "--cutoff", type=options.cutoff, help="temporal split at this date instead of last-N per user"
    )
    parser.add_argument(
        "--segments", type=options.k_or_auto, default="auto", help="K for every segmentation, or auto"
    )
    parser.add_argument(
        "--k-range",
        type=options.k_range,
        default=(4, 12),
        help="K range of the advisor when --segments is auto (as analyze)",
    )
    parser.add_argument("--seed", type=options.seed, default=42)
    parser.add_argument("--model", default=None, help="sentence-transformers name or path (default: MiniLM)")
    parser.add_argument(
        "--representation",
        default="hybrid",
        choices=["hybrid", "sentence", "tfidf"],
        help="item vectors: hybrid (default: sentence model + TF-IDF), sentence, tfidf",
    )
    parser.add_argument("--out", required=True, type=options.writable_dir, help="output folder")
