"""Subcommands beyond `ingest`: analyze, evaluate, assign (registered by core.cli)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core.errors import ConfigError
from core.ingest.cli_args import add_read_options, load_from_args


class ConsoleProgress:
    """A one-line progress bar on stderr for the core `progress(fraction, message)` callback."""

    def __init__(self, stream=None, width: int = 28) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.perf_counter()
        self.last = ""

    def __call__(self, fraction: float, message: str) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(self.width * fraction)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {time.perf_counter() - self.start:5.1f}s {message}"
        if line == self.last:
            return
        self.last = line
        if self.stream.isatty():
            self.stream.write("\r" + line[:110].ljust(110))
        elif message != getattr(self, "_last_message", None):
            self.stream.write(line + "\n")
        self._last_message = message
        self.stream.flush()

    def done(self) -> None:
        if self.stream.isatty():
            self.stream.write("\n")


def _k_value(text: str) -> int | None:
    if text.lower() == "auto":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"K must be a whole number or 'auto', got {text!r}") from None


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by analyze and evaluate."""
    parser.add_argument("events", help="events table (CSV/TSV/Excel/Parquet, optionally .gz/.zip)")
    add_read_options(
        parser, items_help="optional items table joined on item_id", map_help="override a column mapping"
    )
    parser.add_argument(
        "--model",
        default=None,
        help="sentence-transformers name or path, or 'tfidf' (default: bundled MiniLM)",
    )
    parser.add_argument(
        "--backend", default="auto", choices=["auto", "torch", "torch-bf16", "onnx", "onnx-int8"]
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--half-life", type=float, default=90.0, help="recency half-life in days (0 = no decay)"
    )
    parser.add_argument("--out", required=True, type=Path, help="output directory")


def add_analyze(subparsers) -> None:
    from core.segment.clusterers import CLUSTERERS

    parser = subparsers.add_parser("analyze", help="segment users and describe the segments")
    add_analysis_options(parser)
    parser.add_argument("--k", type=_k_value, default=None, help="number of segments, or 'auto' (default)")
    parser.add_argument("--method", default="kmeans", choices=sorted(CLUSTERERS))
    parser.add_argument("--label-column", default=None, help="column with known segments (adds ARI/NMI)")
    parser.add_argument("--projection", default="umap", choices=["umap", "pca"])
    parser.add_argument(
        "--pseudonymize", action="store_true", help="replace user ids by HMAC pseudonyms in exports"
    )
    parser.add_argument(
        "--min-segment-size", type=int, default=10, help="smaller segments become 'Other' in exports"
    )


def _config(args: argparse.Namespace, **extra):
    from core.config import AnalysisConfig

    if args.half_life < 0:
        raise ConfigError("--half-life must be >= 0.", "--half-life 必须 >= 0。")
    return AnalysisConfig(
        model=args.model,
        device=args.device,
        backend=args.backend,
        half_life_days=args.half_life or None,
        seed=args.seed,
        **extra,
    )


def run_analyze(args: argparse.Namespace) -> int:
    from core.export.outputs import write_core_outputs
    from core.export.privacy import PrivacySettings
    from core.export.writer import write_all
    from core.pipeline import run_analysis
    from core.recommend.members import recommend_for_members

    progress = ConsoleProgress()
    dataset = load_from_args(args, label_column=args.label_column)
    config = _config(
        args,
        k=args.k,
        method=args.method,
        projection=args.projection,
        label_column=args.label_column,
        min_segment_size=args.min_segment_size,
        pseudonymize=args.pseudonymize,
    )
    analysis = run_analysis(dataset, config, progress=progress)
    started = time.perf_counter()
    privacy = PrivacySettings(pseudonymize=args.pseudonymize, min_segment_size=args.min_segment_size)
    if args.pseudonymize:
        privacy, _ = privacy.resolved()  # one key for every file of this run
    recommendations = recommend_for_members(analysis, n=5)
    written = write_all(analysis, args.out, privacy=privacy, recommendations=recommendations)
    analysis.timings["export"] = round(time.perf_counter() - started, 3)
    written.update(write_core_outputs(analysis, args.out, privacy=privacy))
    progress.done()
    print(f"{len(analysis.profiles):,} users in {analysis.segmentation.k} segments (run {analysis.run_id}):")
    for segment in analysis.segments:
        print(f"  {segment.segment_id:>3}  {segment.share:6.1%}  {segment.size:>7,}  {segment.name}")
    if "ari" in analysis.quality:
        print(f"agreement with label: ARI {analysis.quality['ari']:.3f}, NMI {analysis.quality['nmi']:.3f}")
    print(f"wrote {', '.join(sorted(p.name for p in written.values()))} to {args.out}")
    return 0


def add_assign(subparsers) -> None:
    parser = subparsers.add_parser(
        "assign", help="assign new users to the segments of a saved project bundle"
    )
    parser.add_argument("bundle", type=Path, help="bundle.zip written by analyze or the Export page")
    parser.add_argument("events", type=Path, help="new users' events (same format as for analyze)")
    parser.add_argument("--out", required=True, type=Path, help="CSV file to write")
    parser.add_argument("--pseudonymize", action="store_true", help="replace user ids by HMAC pseudonyms")


def run_assign(args: argparse.Namespace) -> int:
    from core.export.assign import cli_assign
    from core.export.privacy import PrivacySettings

    privacy = PrivacySettings(pseudonymize=args.pseudonymize) if args.pseudonymize else None
    result = cli_assign(args.bundle, args.events, args.out, privacy=privacy)
    print(f"assigned {result['users']:,} users -> {result['out']}")
    for name, count in result["per_segment"].items():
        print(f"  {count:>7,}  {name}")
    return 0


def add_evaluate(subparsers) -> None:
    from core.recommend.evaluation import add_evaluate_arguments

    parser = subparsers.add_parser("evaluate", help="offline evaluation of recommenders and segmentations")
    add_evaluate_arguments(parser)


def run_evaluate(args: argparse.Namespace) -> int:
    from core.recommend.evaluation import cli_evaluate

    progress = ConsoleProgress()
    args.progress = progress
    code = cli_evaluate(args)
    progress.done()
    print(f"wrote evaluation.json and evaluation.md to {args.out}")
    return code
