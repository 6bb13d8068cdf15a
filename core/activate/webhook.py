"""Deliver membership changes to a webhook: JSON batches signed with HMAC-SHA256, retried with
exponential backoff, and a dead-letter file for batches that still fail.

Each POST carries two headers:
    X-Interest-Lens-Timestamp: unix seconds when the batch was signed
    X-Interest-Lens-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>
The receiver recomputes the HMAC over the raw body and compares with `hmac.compare_digest` (see README).
Transport: `urllib.request` from the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError

SECRET_ENV = "INTEREST_LENS_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Interest-Lens-Signature"
TIMESTAMP_HEADER = "X-Interest-Lens-Timestamp"
DEAD_LETTER_NAME = "webhook_dead_letter.jsonl"
BATCH_SIZE = 500  # changes per POST
MAX_ATTEMPTS = 4  # per batch: the first try and three retries
BACKOFF_S = 1.0  # waits 1, 2, 4 s between tries
TIMEOUT_S = 10.0


def webhook_secret(env: dict[str, str] | None = None) -> bytes:
    """The shared secret from INTEREST_LENS_WEBHOOK_SECRET; refuses to send unsigned."""
    value = (env if env is not None else os.environ).get(SECRET_ENV, "")
    if not value:
        raise ConfigError(
            f"--webhook needs a shared secret: set the environment variable {SECRET_ENV}.",
            f"--webhook 需要共享密钥：请设置环境变量 {SECRET_ENV}。",
            code="webhook_secret_missing",
        )
    return value.encode("utf-8")


def check_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"--webhook must be an http:// or https:// URL; got {url[:80]!r}.",
            f"--webhook 必须是 http:// 或 https:// 地址，当前为 {url[:80]!r}。",
            code="webhook_url",
        )
    return url


def sign(body: bytes, secret: bytes, timestamp: int) -> str:
    """The signature header value for `body` signed at `timestamp`."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def verify(body: bytes, secret: bytes, timestamp: str, signature: str, *, tolerance_s: int = 300) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (constant-time compare)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(body, secret, ts), signature)


def batches(changes: Sequence[dict[str, Any]], run_id: str, size: int | None = None) -> list[dict[str, Any]]:
    """The JSON documents to POST: every change exactly once, in order (BATCH_SIZE per batch)."""
    size = size or BATCH_SIZE
    chunks = [list(changes[i : i + size]) for i in range(0, len(changes), size)] or [[]]
    return [
        {"run_id": run_id, "batch": n + 1, "batches": len(chunks), "changes": chunk}
        for n, chunk in enumerate(chunks)
    ]


@dataclass
class Delivery:
    sent: int = 0  # batches accepted (2xx)
    failed: int = 0  # batches written to the dead-letter file
    attempts: int = 0
    changes_sent: int = 0
    dead_letter: Path | None = None
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "attempts": self.attempts,
            "changes_sent": self.changes_sent,
            "dead_letter": str(self.dead_letter) if self.dead_letter else None,
            "errors": self.errors[:20],
        }


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return int(response.status)


def deliver(
    url: str,
    documents: Sequence[dict[str, Any]],
    secret: bytes,
    out_dir: Path,
    *,
    max_attempts: int | None = None,
    backoff_s: float | None = None,
    timeout_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST each document, signed; retry a failure (network error, 5xx, 429) with backoff; a batch that
    still fails (or gets another 4xx) goes, whole, as one JSON line to DIR/webhook_dead_letter.jsonl."""
    check_url(url)
    max_attempts = max_attempts or MAX_ATTEMPTS
    backoff_s = BACKOFF_S if backoff_s is None else backoff_s
    timeout_s = timeout_s or TIMEOUT_S
    result = Delivery()
    dead: list[dict[str, Any]] = []
    for document in documents:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        error = ""
        for attempt in range(max_attempts):
            if attempt:
                sleep(backoff_s * 2 ** (attempt - 1))
            timestamp = int(time.time())  # signed per try: a retry is never refused as stale
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                SIGNATURE_HEADER: sign(body, secret, timestamp),
                TIMESTAMP_HEADER: str(timestamp),
                "User-Agent": "interest-lens-refresh",
            }
            result.attempts += 1
            try:
                status = _post(url, body, headers, timeout_s)
            except urllib.error.HTTPError as exc:
                status, error = exc.code, f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                status, error = 0, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            if 200 <= status < 300:
                error = ""
                break
            if status and status < 500 and status != 429:
                break  # the receiver refused this batch: retrying will not change its mind
            error = error or f"HTTP {status}"
        if error:
            result.failed += 1
            result.errors.append(f"batch {document.get('batch')}: {error}")
            dead.append({"error": error, "url": url, "payload": document})
        else:
            result.sent += 1
            result.changes_sent += len(document.get("changes", []))
    if dead:
        path = out_dir / DEAD_LETTER_NAME
        with path.open("a", encoding="utf-8") as handle:
            for row in dead:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        result.dead_letter = path
    return result
