"""`python -m core serve`: the HTTP contract, agreement with `core assign`, errors, API key, logs."""

from __future__ import annotations

import csv
import logging
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from core.export.assign import cli_assign
from core.export.bundle import load_bundle
from core.ingest.dataset import load_dataset
from core.serve.api import create_app
from core.serve.state import load_state
from tests.core.serve_fixtures import HashEmbedder, build_bundle, sample_slice

REPO = Path(__file__).resolve().parents[2]
SECRET_USER = "zz-secret-user-4711"
SECRET_TEXT = "Zebra-striped velvet umbrella no one sells"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("serve")
    events = sample_slice(folder / "events.csv")
    return {"events": events, "bundle": build_bundle(events, folder / "bundle.zip"), "dir": folder}


@pytest.fixture(scope="module")
def state(files):
    return load_state(load_bundle(files["bundle"]), load_dataset(files["events"]), embedder=HashEmbedder())


@pytest.fixture(scope="module")
def client(state) -> TestClient:
    return TestClient(create_app(state))


def _user_events(path: Path) -> dict[str, list[dict]]:
    """Each user's kept events (what `core assign` reads from the file) as API events: item_id,
    event_type, timestamp (the ISO text), rating; the file's duplicate row is sent twice, as it is."""
    dataset = load_dataset(path)
    kept = set(dataset.events["source_row"].tolist())
    out: dict[str, list[dict]] = {}
    with path.open(encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):  # source_row: file line
            duplicate = row["product_name"] and line not in kept  # the planted exact repeat
            if line not in kept and not duplicate:
                continue  # rejected by ingest (no text): `core assign` never sees it
            event = {
                "item_id": row["item_id"],
                "event_type": row["event_type"],
                "timestamp": row["timestamp"],
            }
            if row["rating"]:
                event["rating"] = float(row["rating"])
            out.setdefault(row["user_id"], []).append(event)
    return out


def test_assign_contract(client: TestClient) -> None:
    response = client.post("/assign", json={"events": [{"item_id": "P1012", "event_type": "view"}]})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"segment_id", "segment_name", "confidence", "reasons"}
    assert isinstance(body["segment_id"], int) and isinstance(body["segment_name"], str)
    assert 0.0 <= body["confidence"] <= 1.0
    assert body["reasons"] and all(isinstance(r, str) for r in body["reasons"])
    assert "Summit Co. 35L Daypack" in body["reasons"][0]  # the item that carries the profile


def test_assign_agrees_with_core_assign_for_every_user(client: TestClient, files, tmp_path) -> None:
    out = tmp_path / "assigned.csv"
    cli_assign(files["bundle"], files["events"], out, embedder=HashEmbedder())
    with out.open(encoding="utf-8-sig") as handle:
        batch = {row["user_id"]: row for row in csv.DictReader(handle)}
    users = _user_events(files["events"])
    assert len(batch) == len(users) == 120
    moved = 0
    for user, events in users.items():
        body = client.post("/assign", json={"events": events}).json()
        moved += body["segment_id"] != int(batch[user]["segment_id"])
        assert math.isclose(body["confidence"], float(batch[user]["confidence"]), abs_tol=2e-3), user
        assert body["segment_name"] == batch[user]["segment_name"]
    assert moved == 0


def test_text_only_events_of_catalogue_items_need_no_model(state, client: TestClient) -> None:
    calls = state.embedder.calls
    by_id = client.post("/assign", json={"events": [{"item_id": "P1012"}, {"item_id": "P2007"}]}).json()
    texts = [state.item_texts[state.row_of_item[i]] for i in ("P1012", "P2007")]
    by_text = client.post("/assign", json={"events": [{"text": t} for t in texts]}).json()
    assert by_text["segment_id"] == by_id["segment_id"]
    assert by_text["confidence"] == pytest.approx(by_id["confidence"], abs=1e-4)
    assert state.embedder.calls == calls


def test_unseen_text_is_embedded_once_then_cached(state, client: TestClient) -> None:
    calls = state.embedder.calls
    body = {"events": [{"text": "Waterproof trail hiking boots, brand new model"}]}
    first = client.post("/assign", json=body).json()
    assert state.embedder.calls == calls + 1
    second = client.post("/assign", json=body).json()
    assert state.embedder.calls == calls + 1 and second == first
    assert first["segment_name"] == client.post("/assign", json={"events": [{"item_id": "P1001"}]}).json()["segment_name"]  # fmt: skip


def test_recommend_for_a_known_user(state, client: TestClient, files) -> None:
    history = {e["item_id"] for e in _user_events(files["events"])["U0001"]}
    response = client.post("/recommend", json={"user_id": "U0001", "top_n": 5})
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 5 and not history & {i["item_id"] for i in items}
    assert all(set(i) == {"item_id", "text", "score", "reason"} for i in items)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    segment = client.post("/assign", json={"events": _user_events(files["events"])["U0001"]}).json()
    assert items[0]["reason"] == f"popular with {segment['segment_name']}"
    assert items[0]["text"] == state.item_texts[state.row_of_item[items[0]["item_id"]]]


def test_recommend_from_events_excludes_them(client: TestClient) -> None:
    events = [{"item_id": "P1012"}, {"item_id": "P1001"}]
    items = client.post("/recommend", json={"events": events, "top_n": 3}).json()["items"]
    assert len(items) == 3 and not {"P1012", "P1001"} & {i["item_id"] for i in items}


def test_segments_health_and_docs(client: TestClient, state) -> None:
    segments = client.get("/segments").json()["segments"]
    assert [s["name"] for s in segments] == [s["name"] for s in state.segments] and len(segments) == 4
    health = client.get("/health").json()
    assert (
        health["status"] == "ok" and health["items"] == len(state.item_ids) and health["known_users"] == 120
    )
    assert client.get("/docs").status_code == 200
    assert {"/assign", "/recommend", "/segments", "/health"} <= set(
        client.get("/openapi.json").json()["paths"]
    )


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/assign", b"{not json", 400, "not valid JSON"),
        ("/assign", b"[]", 422, "body"),
        ("/assign", b'{"events": []}', 422, "events"),
        ("/assign", b'{"events": "P1012"}', 422, "events"),
        ("/assign", b'{"events": [{"item_id": "P1012", "rating": "five"}]}', 422, "events.0.rating"),
        ("/assign", b'{"events": [{"item_id": "P1012", "event_type": "teleport"}]}', 422, "event_type"),
        ("/assign", b'{"events": [{"item_id": "P1012", "timestamp": "yesterday"}]}', 422, "timestamp"),
        ("/assign", b'{"events": [{"rating": 5}]}', 422, "item_id or a text"),
        ("/assign", b'{"events": [{"item_id": "no-such-item"}]}', 422, "known item_id"),
        ("/assign", b'{"events": [{"item_id": "P1012"}], "extra": 1}', 422, "extra"),
        ("/recommend", b'{"top_n": 5}', 422, "user_id or a non-empty events"),
        ("/recommend", b'{"user_id": "U0001", "top_n": 0}', 422, "top_n"),
        ("/recommend", b'{"user_id": "U0001", "top_n": "5"}', 422, "top_n"),
        ("/recommend", b'{"user_id": "nobody-here", "top_n": 5}', 404, "Unknown user_id"),
        ("/nowhere", b"{}", 404, "No such endpoint"),
    ],
)
def test_bad_requests_get_a_json_4xx(client: TestClient, path, body, status, needle) -> None:
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    payload = response.json()
    assert needle in payload["error"] and payload["error_zh"]


def test_oversize_bodies_get_413(state) -> None:
    small = TestClient(create_app(state, max_body_bytes=2_000))
    events = {"events": [{"item_id": "P1012", "text": "x" * 100}] * 40}
    response = small.post("/assign", json=events)
    assert response.status_code == 413 and "2,000 bytes" in response.json()["error"]

    def chunks():  # no Content-Length: counted while streaming
        yield b'{"events": ['
        for _ in range(100):
            yield b'{"item_id": "P1012"},'
        yield b'{"item_id": "P1012"}]}'

    streamed = small.post("/assign", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert small.post("/assign", json={"events": [{"item_id": "P1012"}]}).status_code == 200


def test_api_key_on_and_off(state, client: TestClient) -> None:
    locked = TestClient(create_app(state, api_key="s3cret-key"))
    body = {"events": [{"item_id": "P1012"}]}
    assert locked.post("/assign", json=body).status_code == 401
    wrong = locked.post("/assign", json=body, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401 and "X-API-Key" in wrong.json()["error"]
    assert locked.post("/assign", json=body, headers={"X-API-Key": "s3cret-key"}).status_code == 200
    assert locked.get("/segments").status_code == 401
    assert locked.get("/health").status_code == 200  # liveness stays open for load balancers
    assert client.post("/assign", json=body).status_code == 200  # no key configured: open


def test_logs_hold_no_user_data(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client.post("/assign", json={"events": [{"text": SECRET_TEXT}]})
    client.post("/recommend", json={"user_id": SECRET_USER, "top_n": 3})
    client.post("/recommend", json={"user_id": SECRET_USER, "events": [{"item_id": "P1012"}], "top_n": 3})
    client.post("/assign", content=b'{"events": [{"item_id": "' + SECRET_USER.encode() + b'"', headers={"content-type": "application/json"})  # fmt: skip
    client.get(f"/users/{SECRET_USER}?name={SECRET_USER}")
    # everything the server side logged (httpx/httpcore are the test's own client)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert "POST /assign 200" in text and "POST /recommend 404" in text and "GET (other) 404" in text
    assert SECRET_USER not in text and SECRET_TEXT not in text and "Zebra" not in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_python_m_core_serve_answers_over_http(files) -> None:
    """The real command on a free port. The bundle's model ('hash-words') does not exist on disk, so
    the server starts without --events (the model loads lazily) and a new text gets a JSON 503."""
    port = _free_port()
    env = {**os.environ, "INTEREST_LENS_SERVE_KEY": "k-123", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "core", "serve", str(files["bundle"]), "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--api-key-env", "INTEREST_LENS_SERVE_KEY"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        headers = {"X-API-Key": "k-123"}
        segments = httpx.get(f"{url}/segments", headers=headers, timeout=5).json()["segments"]
        assert len(segments) == 4
        answer = httpx.post(f"{url}/assign", json={"events": [{"text": "hiking boots"}]}, headers=headers, timeout=30)  # fmt: skip
        assert answer.status_code == 503 and answer.json()["error"]
        assert httpx.post(f"{url}/assign", json={"events": []}, timeout=5).status_code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert "serving 4 segments" in output and "Traceback" not in output


def test_serve_refuses_a_missing_api_key_variable(files, capsys) -> None:
    from core.cli import main

    env_name = "INTEREST_LENS_NO_SUCH_VARIABLE"
    os.environ.pop(env_name, None)
    assert main(["serve", str(files["bundle"]), "--api-key-env", env_name]) == 2
    assert env_name in capsys.readouterr().err
