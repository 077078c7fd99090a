"""Domain errors and their one mapping to HTTP: every error leaves as {"error": CODE, "message": ...}."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, DisconnectionError, TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ticketbooth.db.database import CommitOutcomeUnknown, is_unavailable

log = logging.getLogger(__name__)


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    error: str
    message: str
    fields: list[FieldError] | None = None


class AppError(Exception):
    status_code = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers


class InvalidJson(AppError):
    status_code, code = 400, "INVALID_JSON"


class Unauthorized(AppError):
    status_code, code = 401, "UNAUTHORIZED"

    def __init__(self, message: str = "Authentication required"):
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code, code = 403, "FORBIDDEN"


class NotFound(AppError):
    status_code, code = 404, "NOT_FOUND"


class PayloadTooLarge(AppError):
    status_code, code = 413, "PAYLOAD_TOO_LARGE"


class UserExists(AppError):
    status_code, code = 409, "USER_EXISTS"


class InsufficientInventory(AppError):
    status_code, code = 409, "INSUFFICIENT_INVENTORY"


class SeatAlreadyTaken(AppError):
    status_code, code = 409, "SEAT_ALREADY_TAKEN"

    def __init__(self, message: str = "One or more selected seats are no longer available."):
        super().__init__(message)


class HoldExpired(AppError):
    status_code, code = 409, "HOLD_EXPIRED"

    def __init__(self, message: str = "This hold has expired; its tickets were released. Place a new hold.") -> None:
        super().__init__(message)


class HoldNotActive(AppError):
    status_code, code = 409, "HOLD_NOT_ACTIVE"


class ValidationFailed(AppError):
    status_code, code = 422, "VALIDATION_ERROR"


class OrderLimitExceeded(AppError):
    status_code, code = 422, "ORDER_LIMIT_EXCEEDED"


class SeatingModeMismatch(AppError):
    status_code, code = 422, "SEATING_MODE_MISMATCH"


class UnknownTicketType(AppError):
    status_code, code = 422, "TICKET_TYPE_NOT_AVAILABLE"


class UnknownSeat(AppError):
    status_code, code = 422, "SEAT_NOT_AVAILABLE"


class UnknownSection(AppError):
    status_code, code = 422, "SECTION_NOT_AVAILABLE"


class TicketTypeMismatch(AppError):
    status_code, code = 422, "TICKET_TYPE_MISMATCH"


class EventDatePast(AppError):
    status_code, code = 422, "EVENT_DATE_PAST"


class IdempotencyKeyReused(AppError):
    status_code, code = 422, "IDEMPOTENCY_KEY_REUSED"

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used with a different request body.")


class ServiceUnavailable(AppError):
    status_code, code = 503, "SERVICE_UNAVAILABLE"

    def __init__(self, message: str = "The service is temporarily unavailable; retry shortly."):
        super().__init__(message, headers={"Retry-After": "1"})


def error_body(code: str, message: str, fields: list[dict] | None = None) -> dict:
    body: dict = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


def responses(*errors: type[AppError]) -> dict[int | str, dict]:
    """OpenAPI description of the error responses an endpoint can give."""
    documented: dict[int | str, dict] = {}
    for err in errors:
        entry = documented.setdefault(err.status_code, {"model": ErrorResponse, "description": ""})
        entry["description"] = ", ".join(filter(None, [entry["description"], err.code]))
    return documented


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _clean_message(err: dict) -> str:
    msg = err.get("msg", "Invalid value")
    return msg.removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(error_body("INVALID_JSON", "The request body is not valid JSON."), status_code=400)
        fields = [{"field": _field_name(tuple(e.get("loc", ()))), "message": _clean_message(e)} for e in errors]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
        return JSONResponse(error_body("VALIDATION_ERROR", f"Invalid request: {summary}", fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}
        code = codes.get(exc.status_code, "HTTP_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404:
            message = "Not found"
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable, answered with 503: %r", exc)
        unavailable = ServiceUnavailable()
        return JSONResponse(
            error_body(unavailable.code, unavailable.message), status_code=503, headers=unavailable.headers
        )

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if is_unavailable(exc):
            return await _unavailable(request, exc)
        return await _unexpected(request, exc)

    for unreachable in (PoolTimeoutError, DisconnectionError, OSError):
        app.add_exception_handler(unreachable, _unavailable)

    @app.exception_handler(CommitOutcomeUnknown)
    async def _commit_outcome_unknown(_request: Request, exc: CommitOutcomeUnknown) -> JSONResponse:
        # Neither success nor a conflict: we do not know. A retry with the same Idempotency-Key finds the
        # order if it committed and books it if it did not.
        log.warning("COMMIT outcome unknown, answered with 503: %r", exc.__cause__)
        unavailable = ServiceUnavailable(
            "The database connection was lost while saving; it is unknown whether this request took effect. "
            "Retry it with the same Idempotency-Key."
        )
        return JSONResponse(
            error_body(unavailable.code, unavailable.message), status_code=503, headers=unavailable.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("INTERNAL_ERROR", "Something went wrong on our side."), status_code=500)
