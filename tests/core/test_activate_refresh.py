"""`python -m core refresh`: ids kept, changes reconciled per segment, signed webhook deliveries."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from core.activate import webhook
from core.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"
SECRET = "test-secret-\u5bc6\u94a5"


class Receiver:
    """A local webhook endpoint: answers 500 to the first `fail_first` requests (forever if -1)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests = 0
        self.accepted: list[dict] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                ok = webhook.verify(
                    body,
                    SECRET.encode(),
                    self.headers.get(webhook.TIMESTAMP_HEADER, ""),
                    self.headers.get(webhook.SIGNATURE_HEADER, ""),
                )
                if not ok:
                    receiver.bad_signatures += 1
                    self.send_response(401)
                elif receiver.fail_first < 0 or receiver.requests <= receiver.fail_first:
                    self.send_response(500)
                else:
                    receiver.accepted.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A bundle on users 0-299, and new data on users 50-359 (50 gone, 60 new, 250 kept)."""
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    users = sorted(u for u in events["user_id"].unique() if u)
    base = tmp_path_factory.mktemp("refresh")
    old, new = base / "old.csv", base / "new.csv"
    events[events["user_id"].isin(users[:300])].to_csv(old, index=False)
    # The kept users' later behaviour: drop each kept user's first event so profiles shift a little.
    later = events[events["user_id"].isin(users[50:360])]
    later = later[later.groupby("user_id").cumcount() > 0]
    later.to_csv(new, index=False)
    args = ["--model", "tfidf", "--projection", "pca", "--k", "5", "--min-segment-size", "0"]
    assert main(["analyze", str(old), *args, "--out", str(base / "run1")]) == 0
    return {"base": base, "bundle": base / "run1" / "bundle.zip", "new": new, "run1": base / "run1"}


def _refresh(runs: dict[str, Path], name: str, *extra: str) -> Path:
    out = runs["base"] / name
    code = main(["refresh", str(runs["bundle"]), str(runs["new"]), "--out", str(out), *extra])
    assert code == 0
    return out


def test_refresh_keeps_ids_and_reconciles_every_segment(runs: dict[str, Path]) -> None:
    out = _refresh(runs, "plain")
    for name in ("changes.csv", "refresh.json", "segments.csv", "summary.json", "bundle.zip", "members.csv"):
        assert (out / name).is_file()
    before = pd.read_csv(runs["run1"] / "segments.csv", encoding="utf-8-sig", dtype={"user_id": str})
    after = pd.read_csv(out / "segments.csv", encoding="utf-8-sig", dtype={"user_id": str})
    changes = pd.read_csv(out / "changes.csv", encoding="utf-8-sig", dtype={"user_id": str})
    assert list(changes.columns) == ["user_id", "from_segment", "to_segment", "change"]
    counts = changes["change"].value_counts()
    assert counts["entered"] == 60 and counts["left"] == 50
    for sid in sorted(set(before["segment_id"]) | set(after["segment_id"])):
        entered = ((changes["to_segment"] == sid) & (changes["change"] != "left")).sum()
        left = ((changes["from_segment"] == sid) & (changes["change"] != "entered")).sum()
        assert (before["segment_id"] == sid).sum() + entered - left == (after["segment_id"] == sid).sum()
    # Identity: the 250 users present in both runs mostly keep their segment id.
    both = before.merge(after, on="user_id", suffixes=("_old", "_new"))
    assert len(both) == 250
    assert (both["segment_id_old"] == both["segment_id_new"]).mean() > 0.9
    # ... and the segments keep the bundle's names.
    old_names = dict(zip(before["segment_id"], before["segment_name"], strict=False))
    new_names = dict(zip(after["segment_id"], after["segment_name"], strict=False))
    assert sum(old_names[s] == new_names.get(s) for s in old_names) >= 4
    summary = json.loads((out / "refresh.json").read_text(encoding="utf-8"))
    assert summary["reconciled"] is True and summary["users_after"] == 310
    assert {"size_before", "entries", "exits", "size_after"} <= set(summary["segments"][0])


def test_webhook_delivers_every_change_signed_despite_two_failures(
    runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(webhook.SECRET_ENV, SECRET)
    monkeypatch.setattr(webhook, "BACKOFF_S", 0.01)
    monkeypatch.setattr(webhook, "BATCH_SIZE", 40)
    with Receiver(fail_first=2) as receiver:
        out = _refresh(runs, "hooked", "--webhook", receiver.url)
    changes = pd.read_csv(out / "changes.csv", encoding="utf-8-sig", dtype={"user_id": str})
    delivered = [c for doc in receiver.accepted for c in doc["changes"]]
    assert receiver.bad_signatures == 0
    assert len(receiver.accepted) == receiver.accepted[0]["batches"] >= 3
    assert sorted(c["user_id"] for c in delivered) == sorted(changes["user_id"])
    assert not (out / webhook.DEAD_LETTER_NAME).exists()
    summary = json.loads((out / "refresh.json").read_text(encoding="utf-8"))
    assert summary["webhook"]["sent"] == len(receiver.accepted) and summary["webhook"]["failed"] == 0


def test_a_receiver_that_always_fails_leaves_a_complete_dead_letter_file(tmp_path: Path) -> None:
    records = [
        {"user_id": f"u{i}", "from_segment": None, "to_segment": i % 3, "change": "entered"}
        for i in range(25)
    ]
    docs = webhook.batches(records, "run-x", size=10)
    with Receiver(fail_first=-1) as receiver:
        result = webhook.deliver(receiver.url, docs, SECRET.encode(), tmp_path, max_attempts=3, backoff_s=0.0)
    assert receiver.requests == 3 * len(docs) and receiver.bad_signatures == 0
    assert result.sent == 0 and result.failed == len(docs) == 3
    lines = (tmp_path / webhook.DEAD_LETTER_NAME).read_text(encoding="utf-8").splitlines()
    dead = [c for line in lines for c in json.loads(line)["payload"]["changes"]]
    assert dead == records


def test_a_wrong_secret_is_refused_by_the_receiver_and_dead_lettered(tmp_path: Path) -> None:
    docs = webhook.batches([{"user_id": "a", "from_segment": 1, "to_segment": None, "change": "left"}], "r")
    with Receiver() as receiver:
        result = webhook.deliver(receiver.url, docs, b"not-the-secret", tmp_path, backoff_s=0.0)
    assert receiver.bad_signatures == 1 and result.failed == 1  # a 4xx is not retried
    assert webhook.verify(b"x", b"k", "12", webhook.sign(b"x", b"k", 12)) is False  # stale timestamp


def test_webhook_without_secret_fails_before_any_work(
    runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(webhook.SECRET_ENV, raising=False)
    out = runs["base"] / "nosecret"
    code = main(
        [
            "refresh",
            str(runs["bundle"]),
            str(runs["new"]),
            "--out",
            str(out),
            "--webhook",
            "http://127.0.0.1:9/x",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and webhook.SECRET_ENV in err and "密钥" in err
    assert not out.exists()
    code = main(["refresh", str(runs["bundle"]), str(runs["new"]), "--out", str(out), "--webhook", "ftp://x"])
    assert code == 2 and "http" in capsys.readouterr().err


@pytest.mark.slow
def test_refresh_on_online_retail_nine_then_twelve_months(tmp_path: Path) -> None:
    from bench.activate_bench import DATA, run

    if not DATA.is_file():
        pytest.skip("Online Retail is not in ../shared/datasets")
    result = run(tmp_path)
    summary = result["summary"]
    assert result["code"] == 0 and summary["reconciled"] is True
    assert summary["users_after"] > summary["users_before"] > 1000
    assert result["delivered"] == summary["entered"] + summary["left"] + summary["moved"]
    assert result["bad_signatures"] == 0 and summary["webhook"]["failed"] == 0


def test_pseudonymized_bundle_refreshes_with_its_key_and_refuses_without(
    runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.export.privacy import KEY_ENV

    base = runs["base"]
    monkeypatch.setenv(KEY_ENV, "bundle-key")
    fast = ["--model", "tfidf", "--projection", "pca", "--k", "5", "--recommendations", "0", "--pseudonymize"]
    old = base / "old.csv"
    assert main(["analyze", str(old), *fast, "--out", str(base / "p1")]) == 0
    args = ["refresh", str(base / "p1" / "bundle.zip"), str(runs["new"]), "--recommendations", "0"]
    assert main([*args, "--out", str(base / "p2")]) == 0
    changes = pd.read_csv(base / "p2" / "changes.csv", encoding="utf-8-sig", dtype={"user_id": str})
    assert changes["user_id"].str.startswith("u_").all()
    assert (changes["change"] == "entered").sum() == 60 and (changes["change"] == "left").sum() == 50
    monkeypatch.delenv(KEY_ENV)
    assert main([*args, "--out", str(base / "p3")]) == 2
    assert KEY_ENV in capsys.readouterr().err
