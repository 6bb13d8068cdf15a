"""`python -m core <command>`: the headless entry point. Errors a user can cause print one line
`error: ...` on stderr and exit 2 (no traceback)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from core.cli_options import Parser
from core.errors import InterestLensError
from core.ingest.cli_args import add_read_options

Handler = Callable[[argparse.Namespace], int]


def _report_summary(report: Any) -> str:
    rejected = ", ".join(f"{k} {v:,}" for k, v in sorted(report.rows_rejected.items(), key=lambda kv: -kv[1]))
    lines = [
        f"{report.source_name}: {report.rows_in:,} rows in, {report.rows_kept:,} kept, "
        f"{sum(report.rows_rejected.values()):,} rejected" + (f" ({rejected})" if rejected else ""),
        f"format {report.file_format}{'+' + report.compression if report.compression else ''}, "
        f"encoding {report.encoding or '-'}, delimiter {report.delimiter!r}",
        "mapping: " + ", ".join(f"{k}={v}" for k, v in report.mapping.items()),
        *(
            [
                f"items ({report.items_source}) mapping: "
                + ", ".join(f"{k}={v}" for k, v in report.items_mapping.items())
            ]
            if report.items_source
            else []
        ),
        f"{report.n_users:,} users, {report.n_items:,} items, {report.n_events:,} events",
    ]
    lines += [f"warning: {w}" for w in report.warnings[:10]]
    return "\n".join(lines)


def cmd_ingest(args: argparse.Namespace) -> int:
    from core.ingest.cli_args import load_from_args

    report = load_from_args(args).report
    to_stdout = args.report_json == "-"
    print(_report_summary(report), file=sys.stderr if to_stdout else sys.stdout)
    if args.report_json:
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str)
        if to_stdout:
            print(text)
        else:
            try:
                with open(args.report_json, "w", encoding="utf-8") as handle:
                    handle.write(text + "\n")
            except OSError as exc:
                raise InterestLensError(
                    f"Cannot write the report to '{args.report_json}': {exc.strerror}.",
                    f"无法写入报告“{args.report_json}”：{exc.strerror}。",
                ) from exc
    return 0


def _add_ingest(sub: Any) -> None:
    p = sub.add_parser("ingest", help="read a table, clean it and print the data-quality report")
    p.add_argument(
        "events",
        help="events table: CSV/TSV (optionally .gz/.zip), .xlsx or .parquet; or a folder or quoted glob of parts",
    )
    add_read_options(
        p,
        items_help="optional items table joined on item_id (e.g. MovieLens movies.csv)",
        map_help="override the column mapping, e.g. --map user_id=CustomerID --map text=title+genres",
    )
    p.add_argument("--encoding", help="text encoding (default: detected)")
    p.add_argument("--delimiter", help="field delimiter (default: detected; \\t for TAB)")
    p.add_argument("--sheet", help="Excel sheet name (default: the first with data)")
    p.add_argument("--report-json", metavar="PATH|-", help="write the report as JSON ('-' = stdout)")


# Subcommand -> (parser builder, handler). Later commands (analyze, evaluate, assign) register here.
def _lazy(name: str, module: str = "core.commands") -> Any:
    """A parser builder or handler from `module`, imported only when used (keeps --help fast)."""

    def call(arg: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)(arg)

    return call


COMMANDS: dict[str, tuple[Callable[[Any], None], Handler]] = {
    "ingest": (_add_ingest, cmd_ingest),
    "analyze": (_lazy("add_analyze"), _lazy("run_analyze")),
    "evaluate": (_lazy("add_evaluate"), _lazy("run_evaluate")),
    "assign": (_lazy("add_assign"), _lazy("run_assign")),
    # --- h15-serve: HTTP API ---
    "serve": (_lazy("add_serve"), _lazy("run_serve")),
    # --- h15-activate: refresh, lookalike (core.activate.cli) ---
    "refresh": (_lazy("add_refresh", "core.activate.cli"), _lazy("run_refresh", "core.activate.cli")),
    "lookalike": (_lazy("add_lookalike", "core.activate.cli"), _lazy("run_lookalike", "core.activate.cli")),
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m core", description="Interest Lens, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the subcommand; user-caused errors -> `error: ...` on stderr, exit 2."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad option (2, one `error:` line already printed)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    handler = COMMANDS[args.command][1]
    try:
        return handler(args)
    except InterestLensError as exc:
        print(f"error: {exc.bilingual()}".replace("\n", " "), file=sys.stderr)
        return 2
    except OSError as exc:  # the machine, not the data: disk full, permissions changed mid-run
        where = f" ({exc.filename})" if exc.filename else ""
        print(
            f"error: cannot write or read a file{where}: {exc.strerror or exc} / 文件读写失败{where}：{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    except MemoryError:
        print(
            "error: out of memory; try a smaller file or fewer users / 内存不足；请使用更小的文件或更少的用户",
            file=sys.stderr,
        )
        return 2
