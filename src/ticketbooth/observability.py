"""Request ids, JSON logs and Prometheus metrics.

* Every request gets an id: a well-formed incoming `X-Request-ID` is kept, otherwise a new one is made. It is
  returned in the `X-Request-ID` response header and added to every log line written while the request runs.
* Logs are JSON lines on stderr (TICKETBOOTH_LOG_FORMAT=json, the default) with one access line per request.
  Request bodies are never logged, so neither are passwords.
* GET /metrics serves Prometheus metrics: request latency by route template, bookings, booking/hold conflicts,
  holds and rate-limit rejections. With several worker processes (`ticketbooth serve --workers N`) the numbers
  of all workers are added up through PROMETHEUS_MULTIPROC_DIR (`ticketbooth serve` makes one when unset).
  Separate instances behind a load balancer are scraped one by one, as Prometheus expects.
"""

import itertools
import json
import logging
import os
import re
import sys
import tempfile
import time
from contextvars import ContextVar
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketbooth.config import Settings
from ticketbooth.errors import AppError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=+/@-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# Request ids: 32 hex digits, a random half per process and a counter (uuid4 read the kernel's random source
# for every request: 1-2 % of a worker in a booking rush). Unique, not secret.
_id_counter = itertools.count()


def _new_id_prefix() -> None:
    global _ID_PREFIX
    _ID_PREFIX = os.urandom(8).hex()


_new_id_prefix()
os.register_at_fork(after_in_child=_new_id_prefix)  # a forked worker must not repeat its parent's ids
access_log = logging.getLogger("ticketbooth.access")

# --- metrics -------------------------------------------------------------------------------------------------

REQUEST_LATENCY = Histogram(
    "ticketbooth_http_request_duration_seconds",
    "Time from request to the end of the response, by route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0),
)
BOOKINGS = Counter("ticketbooth_bookings", "Bookings answered 201 (idempotent replays included).")
CONFLICTS = Counter(
    "ticketbooth_conflicts",
    "Booking and hold requests refused with 409, by operation and error code (e.g. SEAT_ALREADY_TAKEN).",
    ["operation", "reason"],
)
HOLDS = Counter("ticketbooth_holds", "Holds placed (created) and given back (released) through the API.", ["action"])
RATE_LIMITED = Counter("ticketbooth_rate_limited", "Requests answered 429 by a rate limit, by rule.", ["rule"])


def _count_domain(method: str, route: str, status: int, error_code: str | None) -> None:
    if route == "/api/bookings" and method == "POST":
        if status == 201:
            BOOKINGS.inc()
        elif status == 409:
            CONFLICTS.labels(operation="booking", reason=error_code or "CONFLICT").inc()
    elif route.startswith("/api/holds"):
        if method == "POST" and status == 201:
            HOLDS.labels(action="created").inc()
        elif method == "POST" and status == 409:
            CONFLICTS.labels(operation="hold", reason=error_code or "CONFLICT").inc()
        elif method == "DELETE" and 200 <= status < 300:
            HOLDS.labels(action="released").inc()


def prepare_multiprocess_metrics(workers: int) -> None:
    """Called by `ticketbooth serve` before the workers start: one shared, empty folder for their metrics."""
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        if workers <= 1:
            return
        folder = tempfile.mkdtemp(prefix="ticketbooth-metrics-")
        os.environ[MULTIPROC_ENV] = folder
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # numbers of an earlier run must not be added to this one
        stale.unlink()


def _metrics_registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_endpoint() -> Response:
    return Response(generate_latest(_metrics_registry()), media_type=CONTENT_TYPE_LATEST)


# --- logging -------------------------------------------------------------------------------------------------

_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "color_message"}
_encode_json = json.JSONEncoder(default=str).encode


class JsonFormatter(logging.Formatter):
    """One JSON object per line. It runs for every request's access line, so its time is formatted once per second
    of the clock and the encoder is built once."""

    def __init__(self) -> None:
        super().__init__()
        self._second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        second, micros = divmod(round(record.created * 1_000_000), 1_000_000)
        if second != self._second[0]:
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        data = {
            "time": f"{self._second[1]}.{micros // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            data["request_id"] = request_id
        data.update({key: value for key, value in record.__dict__.items()
                     if key not in _STANDARD_ATTRS and key != "request_id" and not key.startswith("_")})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return _encode_json(data)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


def configure_logging(settings: Settings) -> None:
    """One stderr handler on the root logger (JSON or text, with the request id); uvicorn's loggers go to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler._ticketbooth = True  # type: ignore[attr-defined]
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    handler.addFilter(_RequestIdFilter())
    # Neither format prints where a line was logged from, nor its thread or process; finding those out costs each
    # line a walk up the stack, a getpid() system call and two lookups: with one access line per request they
    # were an eighth of what a line cost (docs/benchmarks.md, fifteenth round).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    for old in list(root.handlers):
        # ours from an earlier create_app, or a plain console handler (logging.basicConfig); others are kept
        if getattr(old, "_ticketbooth", False) or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger("ticketbooth").setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    uvicorn_access = logging.getLogger("uvicorn.access")  # replaced by ticketbooth.access, with the request id
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False


# --- the middleware ------------------------------------------------------------------------------------------


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.match(candidate) else None
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    # never the raw path: unknown URLs must not create new time series
    return path if path else "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings):
        self.app = app
        self.settings = settings
        self.access_log_enabled = settings.access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                # Logging is set up when a server starts the app, not when the app is only built (for its
                # OpenAPI schema, say): only then is this process the server's.
                configure_logging(self.settings)
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or f"{_ID_PREFIX}{next(_id_counter):016x}"
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"]
            route = _route_template(scope)
            REQUEST_LATENCY.labels(method=method, route=route, status=str(status)).observe(elapsed)
            error_code = scope.get("state", {}).get("error_code")
            _count_domain(method, route, status, error_code)
            if self.access_log_enabled:
                access_log.info(
                    "%s %s %d", method, scope["path"], status,
                    extra={"method": method, "path": scope["path"], "route": route, "status": status,
                           "duration_ms": round(elapsed * 1000, 2),
                           "client": scope["client"][0] if scope.get("client") else None},
                )
            request_id_var.reset(token)


def install_observability(app: FastAPI, settings: Settings) -> None:
    # Remember the error code of a domain error, so the middleware can count conflicts by reason.
    app_error_handler = app.exception_handlers[AppError]

    async def _app_error(request: Request, exc: AppError):
        request.state.error_code = exc.code
        return await app_error_handler(request, exc)

    app.add_exception_handler(AppError, _app_error)

    if settings.metrics_enabled:
        app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    app.add_middleware(ObservabilityMiddleware, settings=settings)

