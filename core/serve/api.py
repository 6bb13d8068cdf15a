"""The HTTP API over a `ServingState`: FastAPI routes, pydantic validation, JSON errors, body limit,
optional API key, request logging without user data, and `serve` (uvicorn).

Errors are always JSON `{"error": English, "error_zh": 中文, ...}`: malformed JSON 400, missing or
wrong API key 401, unknown user 404, no catalogue 409, oversize body 413, invalid fields or events
that give no profile 422; anything unexpected 500 without details (logged by exception type only).
"""

from __future__ import annotations

import hmac
import logging
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.data import EVENT_TYPES
from core.errors import EmbeddingError
from core.ingest.schema import normalize_event_type
from core.serve.state import RequestError, ServingState

log = logging.getLogger("core.serve")

API_KEY_HEADER = "X-API-Key"
DEFAULT_MAX_BODY_BYTES = 1_000_000
MAX_EVENTS = 1_000
MAX_TEXT_CHARS = 2_000
MAX_ID_CHARS = 256
MAX_TOP_N = 50  # as core.commands.MAX_RECOMMENDATIONS
_MIN_EPOCH, _MAX_EPOCH = -2_208_988_800.0, 7_258_118_400.0  # 1900 .. 2200
ROUTES = ("/assign", "/recommend", "/segments", "/health", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc")  # fmt: skip

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


# --- request and response models -------------------------------------------------------------------
def _epoch_seconds(value: str | float | int) -> float:
    """ISO 8601 (zones -> UTC; naive = UTC, as ingest reads it) or Unix epoch (s; ms when >= 1e11)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                stamp = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError("timestamp must be ISO 8601 (2024-02-18T17:29:15) or Unix seconds") from None
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=UTC)
            return stamp.timestamp()
        value = number
    seconds = float(value) / (1000.0 if abs(float(value)) >= 1e11 else 1.0)
    if not math.isfinite(seconds) or not _MIN_EPOCH <= seconds <= _MAX_EPOCH:
        raise ValueError("timestamp is out of range (years 1900-2200)")
    return seconds


class Event(BaseModel):
    """One event, the columns of an upload; item_id or text is required, other columns are ignored."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    item_id: Annotated[str | None, Field(max_length=MAX_ID_CHARS)] = None
    text: Annotated[str | None, Field(max_length=MAX_TEXT_CHARS)] = None
    event_type: Annotated[str | None, Field(max_length=40, description=f"one of {', '.join(EVENT_TYPES)} (or a 中文 synonym)")] = None  # fmt: skip
    timestamp: Annotated[str | float | None, Field(description="ISO 8601 or Unix epoch seconds")] = None
    rating: Annotated[float | None, Field(strict=True, allow_inf_nan=False)] = None

    @field_validator("item_id", "text")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value is not None and value.strip() else None

    @field_validator("event_type")
    @classmethod
    def _canonical_type(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        canonical = normalize_event_type(value)
        if canonical is None:
            raise ValueError(f"unknown event_type; use one of {', '.join(EVENT_TYPES)}")
        return canonical

    @field_validator("timestamp")
    @classmethod
    def _seconds(cls, value: str | float | None) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _epoch_seconds(value)

    @model_validator(mode="after")
    def _item_or_text(self) -> Event:
        if self.item_id is None and self.text is None:
            raise ValueError("each event needs an item_id or a text")
        return self


Events = Annotated[list[Event], Field(min_length=1, max_length=MAX_EVENTS)]


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: Events


class AssignResponse(BaseModel):
    segment_id: int
    segment_name: str
    confidence: float = Field(ge=0, le=1)
    reasons: list[str]


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    user_id: Annotated[str | None, Field(max_length=MAX_ID_CHARS)] = None
    events: Annotated[list[Event] | None, Field(max_length=MAX_EVENTS)] = None
    top_n: Annotated[int, Field(strict=True, ge=1, le=MAX_TOP_N)] = 10

    @model_validator(mode="after")
    def _user_or_events(self) -> RecommendRequest:
        if not self.user_id and not self.events:
            raise ValueError("give a user_id or a non-empty events list")
        return self


class RecommendedItem(BaseModel):
    item_id: str
    text: str
    score: float
    reason: str


class RecommendResponse(BaseModel):
    items: list[RecommendedItem]


class Segment(BaseModel):
    segment_id: int
    name: str
    size: int
    share: float
    keywords: list[str]


class SegmentsResponse(BaseModel):
    segments: list[Segment]


class ErrorResponse(BaseModel):
    error: str
    error_zh: str


# --- errors ---------------------------------------------------------------------------------------
def error_response(status: int, en: str, zh: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": en, "error_zh": zh, **extra}, status_code=status)


def _validation_error(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(
            400,
            "The request body is not valid JSON.",
            "请求体不是有效的 JSON。",
        )
    # field paths and pydantic's messages only: never the submitted values
    details = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body",
            "problem": str(e.get("msg", "")),
        }
        for e in errors[:20]
    ]
    first = details[0] if details else {"field": "body", "problem": "invalid"}
    return error_response(
        422,
        f"Invalid request: {first['field']}: {first['problem']}"
        + (f" (and {len(details) - 1} more)" if len(details) > 1 else ""),
        f"请求无效：字段 {first['field']} 的类型或取值不正确"
        + (f"（另有 {len(details) - 1} 处）" if len(details) > 1 else ""),
        details=details,
    )


_HTTP_ZH = {404: "没有这个地址。", 405: "该地址不支持此请求方法。", 401: "缺少或错误的 API 密钥。"}


class BodyLimit:
    """ASGI wrapper: requests over `max_bytes` get 413 (Content-Length up front, else while streaming);
    logs one line per request: method, route (known routes only), status, milliseconds."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]) -> None:  # fmt: skip
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 0, "too_large": False, "sent": False}

        async def send_logged(message: Message) -> None:
            if status["too_large"]:
                return  # the 413 below replaces whatever the app answers
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
            await send(message)

        length = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        try:
            too_long = length is not None and int(length) > self.max_bytes
        except ValueError:
            too_long = False
        if too_long:
            await self._reject(send)
            status["code"] = 413
        else:
            received = 0

            async def limited() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_bytes:
                        status["too_large"] = True
                        return {"type": "http.disconnect"}
                return message

            try:
                await self.app(scope, limited, send_logged)
            except Exception:
                if not status["too_large"]:
                    raise
            if status["too_large"] and not status["sent"]:
                await self._reject(send)
                status["code"] = 413
        path = scope.get("path", "")
        log.info(
            "%s %s %s %.1f ms",
            scope.get("method", "-"),
            path if path in ROUTES else "(other)",
            status["code"],
            (time.perf_counter() - started) * 1000,
        )

    async def _reject(self, send: Callable[[Message], Awaitable[None]]) -> None:
        response = error_response(
            413,
            f"The request body is larger than {self.max_bytes:,} bytes; send fewer or shorter events.",
            f"请求体超过 {self.max_bytes:,} 字节；请减少事件数量或缩短文本。",
        )
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


# --- the app ---------------------------------------------------------------------------------------
def create_app(
    state: ServingState, *, api_key: str | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> BodyLimit:
    """The ASGI app (FastAPI inside the body-limit/logging wrapper). `api_key`: when set, every route
    but /health and the docs needs header X-API-Key with this value."""
    app = FastAPI(
        title="Interest Lens segments API",
        version="1",
        description="Real-time segment assignment and recommendations from a saved Interest Lens bundle.",
        responses={
            422: {"model": ErrorResponse},
            400: {"model": ErrorResponse},
            413: {"model": ErrorResponse},
        },
    )
    key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)

    async def check_key(given: str | None = Security(key_header)) -> None:
        if api_key and not (given and hmac.compare_digest(given.encode(), api_key.encode())):
            raise RequestError(
                f"Missing or wrong API key: send it in the {API_KEY_HEADER} header.",
                f"缺少或错误的 API 密钥：请在 {API_KEY_HEADER} 请求头中发送。",
                status=401,
                code="api_key",
            )

    guarded = [Depends(check_key)] if api_key else []

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_error(exc)

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError) -> JSONResponse:
        return error_response(exc.status, exc.message_en, exc.message_zh, code=exc.code)

    @app.exception_handler(EmbeddingError)
    async def _no_model(request: Request, exc: EmbeddingError) -> JSONResponse:
        log.error("model unavailable: %s", type(exc).__name__)
        return error_response(503, exc.message_en, exc.message_zh, code="model_unavailable")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        en = str(exc.detail) if exc.status_code != 404 else "No such endpoint; see /docs."
        return error_response(exc.status_code, en, _HTTP_ZH.get(exc.status_code, "请求无法处理。"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error %s on %s", type(exc).__name__, request.url.path if request.url.path in ROUTES else "(other)")  # fmt: skip
        return error_response(
            500, "Internal error; the request was not processed.", "内部错误；请求未被处理。"
        )

    @app.post(
        "/assign", response_model=AssignResponse, dependencies=guarded, summary="Segment of one user's events"
    )
    async def assign(body: AssignRequest) -> dict[str, Any]:
        if state.needs_embedding(body.events):  # a model call: off the event loop
            return await run_in_threadpool(state.assign, body.events)
        return state.assign(body.events)

    @app.post("/recommend", response_model=RecommendResponse, dependencies=guarded, summary="Top-N items")
    async def recommend(body: RecommendRequest) -> dict[str, Any]:
        if body.events and state.needs_embedding(body.events):
            return await run_in_threadpool(state.recommend, body.user_id, body.events, body.top_n)
        return state.recommend(body.user_id, body.events, body.top_n)

    segments_answer = {"segments": state.segments}

    @app.get("/segments", response_model=SegmentsResponse, dependencies=guarded, summary="The saved segments")
    async def segments() -> dict[str, Any]:
        return segments_answer

    @app.get("/health", summary="Liveness and what is loaded")
    async def health() -> dict[str, Any]:
        return state.health()

    return BodyLimit(app, max_body_bytes)


def serve(app: BodyLimit, host: str, port: int) -> None:
    """Run with uvicorn (one process; its access log is off: ours logs no query strings or bodies)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info", server_header=False)
