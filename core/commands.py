"""Subcommands beyond `ingest`: analyze, evaluate, assign (registered by core.cli)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core import cli_options as options
from core.config import AUTO_MAX_TOKENS, CHINESE_MAX_TOKENS, DEFAULT_MAX_TOKENS
from core.ingest.cli_args import add_read_options, load_from_args

MAX_RECOMMENDATIONS = 50  # per user, in members.csv and the Excel Recommendations sheet


class ConsoleProgress:
    """A one-line progress bar on stderr for the core `progress(fraction, message)` callback."""

    def __init__(self, stream=None, width: int = 28, countdown=None) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.perf_counter()
        self.last = ""
        self.countdown = countdown  # core.estimate.Countdown: adds "about N s left" once speed is measured

    def __call__(self, fraction: float, message: str) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(self.width * fraction)
        now = time.perf_counter()
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {now - self.start:5.1f}s {message}"
        if self.countdown is not None:
            left = self.countdown.remaining(fraction, now)
            if self.countdown.first_total is not None:
                line += f" (run: about {left:,.0f} s left)"
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


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by analyze and evaluate."""
    parser.add_argument(
        "events",
        help="events table (CSV/TSV/Excel/Parquet, optionally .gz/.zip), or a folder or quoted glob of parts",
    )
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
    parser.add_argument(
        "--max-tokens",
        type=_max_tokens_arg,
        default=None,
        help=f"token limit per item text; longer texts are cut and counted (default auto: "
        f"{CHINESE_MAX_TOKENS} for Chinese texts, else {DEFAULT_MAX_TOKENS}; 0 = the model's own limit)",
    )
    parser.add_argument(
        "--representation",
        default="hybrid",
        choices=["hybrid", "sentence", "tfidf"],
        help="hybrid (default: sentence model + TF-IDF, weighted by the Chinese share), sentence, tfidf",
    )
    parser.add_argument("--seed", type=options.seed, default=42)
    parser.add_argument(
        "--half-life", type=options.half_life, default=90.0, help="recency half-life in days (0 = no decay)"
    )
    parser.add_argument("--out", required=True, type=options.writable_dir, help="output directory")


def add_analyze(subparsers) -> None:
    from core.segment.clusterers import CLUSTERERS

    parser = subparsers.add_parser("analyze", help="segment users and describe the segments")
    add_analysis_options(parser)
    parser.add_argument(
        "--k", type=options.k_or_auto, default=None, help="number of segments, or 'auto' (default)"
    )
    parser.add_argument(
        "--k-range",
        type=options.k_range,
        default=(4, 12),
        help="K range the advisor proposes from (default 4-12)",
    )
    parser.add_argument("--method", default="kmeans", choices=sorted(CLUSTERERS))
    parser.add_argument(
        "--engine",
        default="local",
        choices=["local", "spark"],
        help="local (this process) or spark (PySpark; needs Java 17; a file or a folder of CSV/Parquet parts)",
    )
    parser.add_argument(
        "--master", default=None, help="Spark master for --engine spark (default local[2], or spark-submit's)"
    )
    parser.add_argument("--label-column", default=None, help="column with known segments (adds ARI/NMI)")
    parser.add_argument("--projection", default="umap", choices=["umap", "pca"])
    parser.add_argument(
        "--pseudonymize", action="store_true", help="replace user ids by HMAC pseudonyms in exports"
    )
    parser.add_argument(
        "--min-segment-size",
        type=options.bounded_int("--min-segment-size", 0, 10**9),
        default=10,
        help="smaller segments become 'Other' in exports",
    )
    parser.add_argument(
        "--recommendations",
        type=options.bounded_int("--recommendations", 0, MAX_RECOMMENDATIONS),
        default=5,
        metavar="N",
        help="top-N recommended items per user in members.csv and the Excel Recommendations sheet "
        "(default 5; 0 = none)",
    )
    from core.activate.options import add_control_options  # h15-activate: control groups

    add_control_options(parser)
    parser.add_argument(
        "--no-save-analysis",
        dest="save_analysis",
        action="store_false",
        help="do not save the finished analysis into OUT/analysis/ (the dashboard opens that folder "
        "without recomputing: Data -> Open a finished run)",
    )


def _config(args: argparse.Namespace, **extra):
    from core.config import AnalysisConfig

    return AnalysisConfig(
        model=args.model,
        device=args.device,
        backend=args.backend,
        representation=getattr(args, "representation", "hybrid"),
        max_tokens=_max_tokens(getattr(args, "max_tokens", None)),
        half_life_days=args.half_life or None,
        seed=args.seed,
        **extra,
    )


def _max_tokens_arg(text: str) -> int | str:
    """--max-tokens: auto, 0 (the model's own limit) or a whole number of at least 8."""
    if text.strip().lower() == AUTO_MAX_TOKENS:
        return AUTO_MAX_TOKENS
    value = options.bounded_int("--max-tokens", 0, 100_000)(text)
    if 0 < value < 8:
        raise options.OptionError(
            f"expected auto, 0 (the model's own limit) or at least 8, got {value}.",
            f"应为 auto、0（模型自身上限）或至少 8，当前为 {value}。",
        )
    return value


def _max_tokens(value: int | str | None) -> int | str | None:
    """Absent = auto, 0 = the model's own limit."""
    if value is None:
        return AUTO_MAX_TOKENS
    return None if value == 0 else value


def run_analyze(args: argparse.Namespace) -> int:
    from core.embed.hybrid import representation_for
    from core.estimate import REFERENCE_CHARS_PER_S, Countdown, estimate_run, run_work, speed_of, stage_starts
    from core.pipeline import PIPELINE_PREPARE_SHARE, run_analysis

    config = _config(
        args,
        k=args.k,
        k_min=args.k_range[0],
        k_max=args.k_range[1],
        method=args.method,
        projection=args.projection,
        label_column=args.label_column,
        min_segment_size=args.min_segment_size,
        pseudonymize=args.pseudonymize,
    )
    model = representation_for(config)
    if getattr(args, "engine", "local") == "spark":
        return _export(args, _analyze_on_spark(args, config, model), spark=True)
    ingest_started = time.perf_counter()
    dataset = load_from_args(args, label_column=args.label_column)
    ingest_seconds = round(time.perf_counter() - ingest_started, 3)
    work = run_work(dataset, model, auto_k=config.k is None)
    countdown = Countdown(
        estimate_run(work, REFERENCE_CHARS_PER_S),
        stage_starts(PIPELINE_PREPARE_SHARE),
        replan=lambda: estimate_run(work, speed) if (speed := speed_of(model)) else None,
    )
    progress = ConsoleProgress(countdown=countdown)
    started = time.perf_counter()
    analysis = run_analysis(dataset, config, progress=progress, embedder=model)
    took = time.perf_counter() - started
    analysis.timings["ingest"] = ingest_seconds
    if countdown.first_total is not None:
        print(f"run time: {took:,.1f} s; estimated {countdown.first_total:,.1f} s when this machine's speed "
              f"was first measured ({countdown.first_speed or 0:,.0f} characters/s)", file=sys.stderr)  # fmt: skip
    progress.done()
    return _export(args, analysis)


def _analyze_on_spark(args: argparse.Namespace, config, model):
    from core.engines.spark import analyze_spark
    from core.ingest.schema import parse_mapping_overrides

    progress = ConsoleProgress()
    analysis = analyze_spark(
        args.events,
        config,
        master=args.master,
        mapping_overrides=parse_mapping_overrides(args.map or []),
        items=args.items,
        items_mapping_overrides=parse_mapping_overrides(args.items_map or [], flag="--items-map"),
        has_header=not args.no_header,
        embedder=model,
        accept_warnings=args.accept_warnings,
        progress=progress,
    )
    progress.done()
    return analysis


def _trends(analysis, try_trends, trends_skipped):
    """The report's Trends, or None with the reason among the run's warnings when it is for size."""
    trends = try_trends(analysis)
    if trends is None and (note := trends_skipped(analysis)) is not None:
        analysis.warnings.append(note)
    return trends


def _export(args: argparse.Namespace, analysis, *, spark: bool = False) -> int:
    from core.activate.options import control_from_args
    from core.activate.trends import trends_skipped, try_trends
    from core.export.outputs import write_core_outputs
    from core.export.privacy import PrivacySettings
    from core.export.snapshot import SAVED_DIR, is_saved, save_analysis
    from core.export.writer import write_all
    from core.recommend.members import recommend_for_members
    from core.staging import staged_dir

    started = time.perf_counter()
    privacy = PrivacySettings(pseudonymize=args.pseudonymize, min_segment_size=args.min_segment_size)
    if args.pseudonymize:
        privacy, _ = privacy.resolved()  # one key for every file of this run
    from core.memory import release_memory

    release_memory()  # segmenting and the map's sample: before the exports build their tables
    n_recs = args.recommendations
    recommendations = recommend_for_members(analysis, n=n_recs) if n_recs else None
    save = getattr(args, "save_analysis", True)
    # all files or none: a failure keeps the previous run's (its analysis/ folder is replaced whole)
    with staged_dir(args.out, replaceable=is_saved) as staging:
        written = write_all(
            analysis, staging, privacy=privacy, recommendations=recommendations, top_n=n_recs or 1,
            control=control_from_args(args), trends=_trends(analysis, try_trends, trends_skipped),
        )  # fmt: skip
        analysis.timings["export"] = round(time.perf_counter() - started, 3)
        if save:  # its own stage in summary.json's timings, written just below
            saving = time.perf_counter()
            written[SAVED_DIR] = save_analysis(analysis, staging / SAVED_DIR)
            analysis.timings["save_analysis"] = round(time.perf_counter() - saving, 3)
        written.update(write_core_outputs(analysis, staging, privacy=privacy))
        if spark:
            from core.engines.spark import write_assignments_parquet

            written["assignments.parquet"] = write_assignments_parquet(analysis, staging, privacy=privacy)
    print(f"{len(analysis.profiles):,} users in {analysis.segmentation.k} segments (run {analysis.run_id}):")
    for segment in analysis.segments:
        print(f"  {segment.segment_id:>3}  {segment.share:6.1%}  {segment.size:>7,}  {segment.name}")
    if "ari" in analysis.quality:
        print(f"agreement with label: ARI {analysis.quality['ari']:.3f}, NMI {analysis.quality['nmi']:.3f}")
    print(f"wrote {', '.join(sorted(p.name for p in written.values()))} to {args.out}")
    if save:
        saved = (Path(args.out) / SAVED_DIR).resolve()
        print(f"Open in the dashboard: Data → Open a finished run → {saved}")
        print(f"在仪表盘中打开：数据 → 打开已完成的运行 → {saved}")
    return 0


def add_assign(subparsers) -> None:
    parser = subparsers.add_parser(
        "assign", help="assign new users to the segments of a saved project bundle"
    )
    parser.add_argument(
        "bundle", type=options.existing_file, help="bundle.zip written by analyze or the Export page"
    )
    parser.add_argument("events", type=Path, help="new users' events (same format as for analyze)")
    parser.add_argument("--out", required=True, type=options.writable_file, help="CSV file to write")
    parser.add_argument("--pseudonymize", action="store_true", help="replace user ids by HMAC pseudonyms")


def run_assign(args: argparse.Namespace) -> int:
    from core.export.assign import cli_assign
    from core.export.privacy import PrivacySettings

    privacy = PrivacySettings(pseudonymize=args.pseudonymize) if args.pseudonymize else None
    result = cli_assign(args.bundle, args.events, args.out, privacy=privacy)
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"assigned {result['users']:,} users -> {result['out']}")
    for name, count in result["per_segment"].items():
        print(f"  {count:>7,}  {name}")
    return 0


def add_evaluate(subparsers) -> None:
    from core.recommend.evaluation_cli import add_evaluate_arguments

    parser = subparsers.add_parser("evaluate", help="offline evaluation of recommenders and segmentations")
    add_evaluate_arguments(parser)


def run_evaluate(args: argparse.Namespace) -> int:
    from core.recommend.evaluation_cli import cli_evaluate

    progress = ConsoleProgress()
    args.progress = progress
    code = cli_evaluate(args)
    progress.done()
    print(f"wrote evaluation.json and evaluation.md to {args.out}")
    return code


# --- h15-serve: `python -m core serve BUNDLE` (HTTP API, core/serve) ---
def add_serve(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="serve a bundle's segments over HTTP (assign, recommend)")
    parser.add_argument(
        "bundle", type=options.existing_file, help="bundle.zip written by analyze or the Export page"
    )
    parser.add_argument(
        "--events",
        type=options.existing_file,
        default=None,
        help="the events the bundle was made from: item catalogue, known users, recommendations",
    )
    add_read_options(
        parser, items_help="optional items table joined on item_id", map_help="override a column mapping"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=options.bounded_int("--port", 1, 65535), default=8000)
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        default=None,
        help="require header X-API-Key equal to this environment variable's value",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=options.bounded_int("--max-body-bytes", 1_024, 100_000_000),
        default=1_000_000,
        metavar="N",
        help="larger request bodies get 413 (default 1,000,000)",
    )
    parser.add_argument(
        "--warm-model", action="store_true", help="load the model at startup, not on the first new text"
    )


def run_serve(args: argparse.Namespace) -> int:
    import os

    from core.errors import ConfigError
    from core.export.bundle import load_bundle
    from core.serve.api import create_app, serve
    from core.serve.state import load_state

    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env, "")
        if not api_key.strip():
            raise ConfigError(
                f"--api-key-env {args.api_key_env}: that environment variable is not set or empty.",
                f"--api-key-env {args.api_key_env}：该环境变量未设置或为空。",
            )
    started = time.perf_counter()
    bundle = load_bundle(args.bundle)
    dataset = load_from_args(args) if args.events else None
    state = load_state(bundle, dataset)
    if args.warm_model:
        state.warm()
    print(
        f"serving {len(state.segments)} segments, {len(state.item_ids):,} items, "
        f"{len(state.user_row):,} known users (run {bundle.run_id}; ready in "
        f"{time.perf_counter() - started:,.1f} s) on http://{args.host}:{args.port} "
        f"(API key {'required' if api_key else 'off'}; docs at /docs)",
        file=sys.stderr,
        flush=True,
    )
    serve(create_app(state, api_key=api_key, max_body_bytes=args.max_body_bytes), args.host, args.port)
    return 0
