"""All-or-nothing outputs: a run writes into a temporary place and its files move into the target
only when everything was written, so a failed run leaves the previous output byte-for-byte as it was.

`staged_dir(target)`: a temporary folder inside `target` when it exists (files are then renamed
into it one by one; other files there are never touched), or beside it when it does not (the folder
is then renamed to `target`). A folder staged under a name that `target` already has replaces it only
when `replaceable(existing folder)` says so (a saved analysis of an earlier run); any other folder in
the way stops the move before anything changed. `staged_file(target)`: a temporary file renamed over `target`.
Temporaries live on the same file system as the target, so every move is an atomic rename.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from core.errors import ConfigError

STAGING_PREFIX = ".interest-lens-staging-"


def _umask() -> int:
    """The process umask (read by setting it, so once, at import, before any thread writes files)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()  # tempfile creates 0700 folders and 0600 files; outputs get the usual modes


def _nearest_existing(path: Path) -> Path:
    for parent in (path, *path.parents):
        if parent.is_dir():
            return parent
    return Path.cwd()


@contextlib.contextmanager
def staged_dir(target: str | Path, *, replaceable: Callable[[Path], bool] | None = None) -> Iterator[Path]:
    """Yield an empty temporary folder; when the block succeeds, its files move into `target`."""
    target = Path(target)
    existed = target.is_dir()
    staging = Path(
        tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target if existed else _nearest_existing(target))
    )
    os.chmod(staging, 0o777 & ~_UMASK)
    try:
        yield staging
        if existed:
            names = sorted(path.name for path in staging.iterdir())
            blocked = [name for name in names if _in_the_way(staging / name, target / name, replaceable)]
            if blocked:  # checked before the first move, so the folder is never half-replaced
                raise ConfigError(
                    f"Cannot write '{blocked[0]}' in '{target}': a folder of that name is in the way; "
                    "the previous output was left as it was.",
                    f"无法在“{target}”中写入“{blocked[0]}”：已有同名文件夹；原有输出未改动。",
                )
            for name in names:
                old = target / name
                if old.is_dir() and not old.is_symlink():  # a replaceable folder: set aside, then removed
                    aside = staging / f".previous-{name}"
                    os.replace(old, aside)
                    os.replace(staging / name, old)
                    shutil.rmtree(aside, ignore_errors=True)
                else:
                    os.replace(staging / name, old)
            staging.rmdir()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _in_the_way(new: Path, old: Path, replaceable: Callable[[Path], bool] | None) -> bool:
    if old.is_symlink():
        return old.is_dir() or new.is_dir()
    if old.is_dir():
        return not (new.is_dir() and replaceable is not None and replaceable(old))
    return new.is_dir() and old.exists()  # a folder cannot be renamed over a file


@contextlib.contextmanager
def staged_file(target: str | Path) -> Iterator[Path]:
    """Yield a temporary file path; when the block succeeds, it replaces `target`."""
    target = Path(target)
    handle, name = tempfile.mkstemp(
        prefix=STAGING_PREFIX, suffix=".part", dir=_nearest_existing(target.parent)
    )
    os.close(handle)
    part = Path(name)
    os.chmod(part, 0o666 & ~_UMASK)
    try:
        yield part
        if target.is_dir():
            raise ConfigError(
                f"'{target}' is a folder; give a file name.", f"“{target}”是文件夹，请指定文件名。"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
