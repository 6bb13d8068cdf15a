"""The README documents what the product does: every CLI subcommand and the two first commands."""

from __future__ import annotations

from pathlib import Path

from core.cli import COMMANDS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_make_run_and_make_test() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_cli_subcommand_is_documented() -> None:
    for name in COMMANDS:
        assert f"python -m core {name}" in README, f"README does not show `python -m core {name}`"


def test_readme_screenshots_exist() -> None:
    root = Path(__file__).resolve().parents[2]
    for line in README.splitlines():
        if line.startswith("![") and "](" in line:
            assert (root / line.split("](", 1)[1].rstrip(")")).exists(), line
