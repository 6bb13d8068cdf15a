"""A persistent, content-addressed store of embedding vectors (SQLite, one file per cache directory).

Key: (namespace, SHA-256 of the normalised text), where the namespace names the model and the
backend that made the vector. Only hashes and vectors are stored, never the texts themselves.

Two processes may read and write at once: SQLite serialises writers (WAL journal, busy timeout),
and every batch is one transaction, so a killed process leaves either the whole batch or none of
it. A damaged database file is moved aside and replaced by an empty one; a damaged row (wrong
length, non-finite values) counts as a miss and is overwritten by the recomputed vector.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CACHE_ENV = "INTEREST_LENS_CACHE"
DB_NAME = "embeddings.sqlite3"
_SQL_VARS = 900  # stay below SQLite's historical limit of 999 bound variables


def default_cache_dir() -> Path:
    """`$INTEREST_LENS_CACHE` if set, else the platform's user cache dir (e.g. ~/.cache/interest-lens)."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("interest-lens", appauthor=False))


def text_key(text: str) -> bytes:
    """SHA-256 digest of an already normalised text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


BUSY_RETRIES = 12  # about 15 s of waiting in all (0.05 s doubling, at most 2 s a wait)


def _busy(exc: Exception) -> bool:
    """SQLite's "database is locked" / "busy": another process holds the file, it is not damaged."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


class EmbeddingCache:
    """Get and put float32 vectors by (namespace, text key). Never raises for a damaged file."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        self.notes: list[str] = []  # what went wrong and was repaired, for last_stats
        self._conn: sqlite3.Connection | None = None

    # 1. connection, created lazily and repaired once if the file is not a database
    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        self.directory.mkdir(parents=True, exist_ok=True)
        for attempt in range(BUSY_RETRIES):
            try:
                self._conn = self._open()
                return self._conn
            except sqlite3.DatabaseError as exc:
                if not _busy(exc):
                    self._quarantine(exc)
                    self._conn = self._open()
                    return self._conn
                if attempt == BUSY_RETRIES - 1:
                    raise  # another process held the file past every wait: busy, not damaged
                # Another process is creating the file or switching it to WAL (an exclusive lock that
                # the busy timeout does not always wait for): wait and open again, never move it aside.
                time.sleep(min(0.05 * 2**attempt, 2.0))
        raise AssertionError("unreachable")

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS vectors (ns TEXT NOT NULL, key BLOB NOT NULL, "
                "vec BLOB NOT NULL, n_tokens INTEGER NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID"
            )
            conn.execute("SELECT count(*) FROM vectors WHERE ns = ''").fetchone()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _quarantine(self, exc: Exception) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                try:
                    os.replace(src, Path(f"{src}.corrupt-{stamp}-{os.getpid()}"))
                except OSError:
                    src.unlink(missing_ok=True)
        note = f"embedding cache {self.path} was unreadable ({exc}); moved aside and started empty"
        log.warning(note)
        self.notes.append(note)

    def _retry_after_damage(self, exc: sqlite3.DatabaseError) -> sqlite3.Connection:
        if _busy(exc):
            raise exc  # busy past the timeout is not damage
        self.close()
        self._quarantine(exc)
        return self._connect()

    # 2. reads and writes
    def get_many(
        self, namespace: str, keys: Sequence[bytes], dim: int | None = None
    ) -> dict[bytes, tuple[np.ndarray, int]]:
        """Vectors found for `keys`: key -> ((dim,) float32, n_tokens). Damaged rows are left out."""
        found: dict[bytes, tuple[np.ndarray, int]] = {}
        try:
            rows = self._select(namespace, keys)
        except sqlite3.DatabaseError as exc:
            self._retry_after_damage(exc)
            return found
        for key, blob, n_tokens in rows:
            if not isinstance(blob, bytes) or not blob or len(blob) % 4 or not isinstance(n_tokens, int):
                continue
            vec = np.frombuffer(blob, dtype=np.float32)
            if (dim is not None and vec.size != dim) or not np.isfinite(vec).all():
                continue
            found[bytes(key)] = (vec, int(n_tokens))
        return found

    def _select(self, namespace: str, keys: Sequence[bytes]) -> list[tuple[bytes, bytes, int]]:
        conn = self._connect()
        rows: list[tuple[bytes, bytes, int]] = []
        for start in range(0, len(keys), _SQL_VARS):
            chunk = list(keys[start : start + _SQL_VARS])
            marks = ",".join("?" * len(chunk))
            rows.extend(
                conn.execute(
                    f"SELECT key, vec, n_tokens FROM vectors WHERE ns = ? AND key IN ({marks})",
                    [namespace, *chunk],
                ).fetchall()
            )
        return rows

    def put_many(self, namespace: str, items: Iterable[tuple[bytes, np.ndarray, int]]) -> None:
        """Store (key, (dim,) vector, n_tokens) rows in one transaction; a failure is logged, not raised."""
        rows = [
            (namespace, key, np.ascontiguousarray(vec, dtype=np.float32).tobytes(), int(n))
            for key, vec, n in items
        ]
        if not rows:
            return
        for attempt in range(2):
            try:
                conn = self._connect()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return
            except sqlite3.DatabaseError as exc:
                if attempt == 0 and not _busy(exc):
                    self._retry_after_damage(exc)
                    continue
                note = f"could not write to the embedding cache {self.path}: {exc}"
                log.warning(note)
                self.notes.append(note)
                return

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        with contextlib.suppress(sqlite3.Error):
            self.close()
