"""Sentence-transformers models already on this machine (nothing is downloaded): for the model box.

`local_sentence_models()` scans the Hugging Face hub cache ($HF_HUB_CACHE, default
~/.cache/huggingface/hub) and any extra folders named for models saved with `save_pretrained`,
and returns the names or paths `--model` accepts. A model counts when a snapshot holds
`modules.json` (the sentence-transformers layout). Multilingual ones (name contains "multilingual",
"chinese", "-zh", "bge-", "m3e", "LaBSE") come first: they read Chinese; the hybrid rule stays the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_MULTILINGUAL_HINTS = ("multilingual", "chinese", "-zh", "bge-", "m3e", "labse", "text2vec")


def _hub_cache() -> Path:
    try:
        from huggingface_hub import constants

        return Path(constants.HF_HUB_CACHE)
    except ImportError:  # pragma: no cover - comes with sentence-transformers
        return Path(os.environ.get("HF_HUB_CACHE", Path.home() / ".cache" / "huggingface" / "hub"))


def is_multilingual(name: str) -> bool:
    low = name.lower()
    return any(hint in low for hint in _MULTILINGUAL_HINTS)


def local_sentence_models(
    extra_dirs: Iterable[str | Path] = (), *, hub_cache: Path | None = None
) -> list[str]:
    """Names (`org/name`) of cached sentence-transformers models, then model folders among extra_dirs."""
    found: list[str] = []
    root = hub_cache or _hub_cache()
    if root.is_dir():
        for repo in sorted(root.glob("models--*")):
            if any((snap / "modules.json").is_file() for snap in (repo / "snapshots").glob("*")):
                found.append(repo.name[len("models--") :].replace("--", "/"))
    for folder in extra_dirs:
        path = Path(folder).expanduser()
        if (path / "modules.json").is_file():
            found.append(str(path))
    return sorted(dict.fromkeys(found), key=lambda n: not is_multilingual(n))  # stable: cache, then folders
