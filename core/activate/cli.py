"""`python -m core refresh | lookalike`: parsers and handlers (registered by core.cli)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core import cli_options as options
from core.activate.options import add_control_options, control_from_args
from core.ingest.cli_args import add_read_options, load_from_args


def add_refresh(subparsers) -> None:
    parser = subparsers.add_parser(
        "refresh", help="re-run a saved analysis on new data, keeping segment ids; write membership changes"
    )
    parser.add_argument(
        "bundle", type=options.existing_file, help="bundle.zip written by analyze or the Export page"
    )
    parser.add_argument("events", help="the new events table (same format as for analyze)")
    add_read_options(
        parser, items_help="optional items table joined on item_id", map_help="override a column mapping"
    )
    parser.add_argument("--out", required=True, type=options.writable_dir, help="output directory")
    parser.add_argument(
        "--webhook", metavar="URL", default=None, help="POST the changes as signed JSON batches "
        "(secret from INTEREST_LENS_WEBHOOK_SECRET)"
    )  # fmt: skip
    parser.add_argument(
        "--recommendations", type=options.bounded_int("--recommendations", 0, 50), default=5, metavar="N",
        help="top-N recommended items per user in members.csv (default 5; 0 = none)",
    )  # fmt: skip
    add_control_options(parser)


def print_segment_table(per_segment) -> None:
    print(f"  {'id':>3}  {'before':>7}  {'+in':>6}  {'-out':>6}  {'after':>7}  name")
    for row in per_segment.itertuples(index=False):
        ok = "" if row.reconciled else "  (NOT RECONCILED)"
        print(
            f"  {row.segment_id:>3}  {row.size_before:>7,}  {row.entries:>6,}  {row.exits:>6,}  "
            f"{row.size_after:>7,}  {row.name}{ok}"
        )


def run_refresh(args: argparse.Namespace) -> int:
    from core.activate.refresh import refresh_analysis, refresh_summary
    from core.activate.webhook import batches, check_url, deliver, webhook_secret
    from core.commands import ConsoleProgress
    from core.export.bundle import load_bundle
    from core.export.outputs import write_core_outputs, write_json
    from core.export.tables import frame_csv_bytes
    from core.export.writer import write_all
    from core.recommend.members import recommend_for_members
    from core.staging import staged_dir

    secret = None
    if args.webhook:  # checked before the run, not after minutes of work
        check_url(args.webhook)
        secret = webhook_secret()
    bundle = load_bundle(args.bundle)
    dataset = load_from_args(args)
    progress = ConsoleProgress()
    result = refresh_analysis(bundle, dataset, progress=progress)
    analysis = result.analysis
    from core.activate.refresh import refresh_privacy

    privacy = refresh_privacy(bundle)
    n_recs = args.recommendations
    recommendations = recommend_for_members(analysis, n=n_recs) if n_recs else None
    summary = refresh_summary(result)
    out = Path(args.out)
    with staged_dir(out) as staging:
        written = write_all(
            analysis,
            staging,
            privacy=privacy,
            recommendations=recommendations,
            top_n=n_recs or 1,
            control=control_from_args(args),
        )
        written.update(write_core_outputs(analysis, staging, privacy=privacy))
        (staging / "changes.csv").write_bytes(frame_csv_bytes(result.changes))
        write_json(summary, staging / "refresh.json")
    progress.done()
    if args.webhook and secret is not None:
        records = json.loads(result.changes.to_json(orient="records"))
        delivery = deliver(args.webhook, batches(records, analysis.run_id), secret, out)
        summary["webhook"] = delivery.to_dict()
        write_json(summary, out / "refresh.json")
    print(
        f"{summary['users_before']:,} users before, {summary['users_after']:,} after: "
        f"{summary['entered']:,} entered, {summary['left']:,} left, {summary['moved']:,} moved "
        f"(run {analysis.run_id})"
    )
    print_segment_table(result.per_segment)
    if "webhook" in summary:
        hook = summary["webhook"]
        print(f"webhook: {hook['sent']} batch(es) delivered, {hook['failed']} failed")
        if hook["dead_letter"]:
            print(f"warning: undelivered batches are in {hook['dead_letter']}", file=sys.stderr)
    print(f"wrote changes.csv, refresh.json, segments.csv, summary.json, bundle.zip, ... to {out}")
    return 0 if summary["reconciled"] and not summary.get("webhook", {}).get("failed") else 1


def add_lookalike(subparsers) -> None:
    parser = subparsers.add_parser("lookalike", help="rank users by similarity to a seed list")
    parser.add_argument("bundle", type=Path, help="bundle.zip, or the output folder of analyze/refresh")
    parser.add_argument("seeds", type=options.existing_file, help="CSV with a user_id column")
    parser.add_argument("--top", type=options.bounded_int("--top", 1, 10**7), default=1000)
    parser.add_argument(
        "--out", required=True, type=options.writable_file, help="CSV to write (user_id, score)"
    )


def run_lookalike(args: argparse.Namespace) -> int:
    from core.activate.lookalike import bundle_profiles, lookalikes, read_seeds
    from core.export.bundle import load_bundle
    from core.export.tables import frame_csv_bytes
    from core.staging import staged_file

    path = args.bundle / "bundle.zip" if args.bundle.is_dir() else args.bundle
    bundle = load_bundle(path)
    ids, vectors = bundle_profiles(bundle)
    ranked = lookalikes(ids, vectors, read_seeds(args.seeds), args.top)
    with staged_file(args.out) as part:
        part.write_bytes(frame_csv_bytes(ranked))
    print(f"wrote {len(ranked):,} lookalikes to {args.out}")
    return 0
