"""--control-share / --control-seed: the control-group options of analyze and refresh."""

from __future__ import annotations

import argparse

from core import cli_options as options


def control_share(text: str) -> float:
    """--control-share: a finite number in [0, 0.5]."""
    import math

    from core.cli_options import OptionError
    from core.export.control import MAX_SHARE

    try:
        value = float(text.strip())
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or not 0.0 <= value <= MAX_SHARE:
        raise OptionError(
            f"expected a share from 0 to {MAX_SHARE} (e.g. 0.1), got {text[:40]!r}.",
            f"应为 0 到 {MAX_SHARE} 之间的比例（如 0.1），当前为 {text[:40]!r}。",
        )
    return value


def add_control_options(parser: argparse.ArgumentParser) -> None:
    """--control-share / --control-seed, on analyze and refresh."""
    parser.add_argument(
        "--control-share", type=control_share, default=0.0, metavar="SHARE",
        help="hold out this share of every segment as a control group (column 'control'; default 0 = none)",
    )  # fmt: skip
    parser.add_argument(
        "--control-seed",
        type=options.seed,
        default=0,
        help="seed of the control draw (same seed = same users)",
    )


def control_from_args(args: argparse.Namespace):
    from core.export.control import ControlGroup

    share = getattr(args, "control_share", 0.0) or 0.0
    return ControlGroup(share=share, seed=getattr(args, "control_seed", 0)) if share else None
