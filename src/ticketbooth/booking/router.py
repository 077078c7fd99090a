import json
import re
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from ticketbooth.booking import service
from ticketbooth.booking.schemas import BookingRequest, BookingResponse
from ticketbooth.dependencies import CurrentUserDep, authenticate
from ticketbooth.errors import (
    EventDatePast,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientInventory,
    NotFound,
    OrderLimitExceeded,
    SeatAlreadyTaken,
    SeatingModeMismatch,
    ServiceUnavailable,
    TicketTypeMismatch,
    Unauthorized,
    UnknownSeat,
    UnknownSection,
    UnknownTicketType,
    ValidationFailed,
    responses,
)

from ticketbooth.ratelimit import RateLimited, count_ip, count_user, limit_ip, limit_user

_KEY_PATTERN, _KEY_MAX_LENGTH = r"^[\x21-\x7e]+$", 128  # printable ASCII, no spaces
_KEY_HEADER, _LEGACY_KEY_HEADER = "Idempotency-Key", "X-Idempotency-Key"
_IP_RULE, _USER_RULE = "bookings_ip", "bookings_user"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=_KEY_HEADER,
        min_length=1,
        max_length=_KEY_MAX_LENGTH,
        pattern=_KEY_PATTERN,
        description="Makes retries safe: the same key returns the first booking instead of booking again.",
    ),
]
LegacyIdempotencyKey = Annotated[
    str | None,
    Header(alias=_LEGACY_KEY_HEADER, min_length=1, max_length=_KEY_MAX_LENGTH, pattern=_KEY_PATTERN,
           description="Older spelling of Idempotency-Key."),
]
_well_formed_key = re.compile(_KEY_PATTERN).fullmatch


class BookingRoute(APIRoute):
    """POST /api/bookings without FastAPI's per-request dependency solving, when the request is well-formed.

    In a flash sale this route is most of the traffic, and FastAPI's solving of its dependency graph (cache keys,
    scopes, header parameters, one node per dependency) took a quarter of each worker's CPU under load
    (docs/benchmarks.md, fifth round), more than pricing and booking together. A request whose JSON body and
    headers validate is answered here by the same calls in the same order: the two rate limits around the
    token check, then booking/service.py, the 201 body serialized through the declared response model. Any other
    request (malformed JSON, a body or header that fails validation, another content type) goes through the
    route as declared, which stays the single source of its error answers and of the OpenAPI document.
    """

    def get_route_handler(self):
        declared = super().get_route_handler()
        response_model = TypeAdapter(self.response_model)

        async def handler(request: Request) -> Response:
            body = await _well_formed_booking(request)
            if body is None:
                return await declared(request)
            await count_ip(request, _IP_RULE)
            user = await authenticate(request)
            await count_user(request, _USER_RULE, user)
            headers = request.headers
            booked = await create_booking(request, body, user, headers.get(_KEY_HEADER),
                                          headers.get(_LEGACY_KEY_HEADER))
            return Response(response_model.dump_json(response_model.validate_python(booked), by_alias=True),
                            status_code=self.status_code, media_type="application/json")

        return handler


async def _well_formed_booking(request: Request) -> BookingRequest | None:
    """The body as a BookingRequest when the request would pass the declared route's validation, else None."""
    headers = request.headers
    for name in (_KEY_HEADER, _LEGACY_KEY_HEADER):
        key = headers.get(name)
        if key is not None and (len(key) > _KEY_MAX_LENGTH or not _well_formed_key(key)):
            return None
    if headers.get("content-type", "").partition(";")[0].strip().lower() != "application/json":
        return None
    try:
        return BookingRequest.model_validate(json.loads(await request.body()))
    except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None


router = APIRouter(prefix="/api", tags=["booking"], route_class=BookingRoute)


@router.post(
    "/bookings",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingResponse,
    responses=responses(
        Unauthorized,
        Forbidden,
        NotFound,
        InsufficientInventory,
        SeatAlreadyTaken,
        ValidationFailed,
        OrderLimitExceeded,
        SeatingModeMismatch,
        UnknownTicketType,
        UnknownSeat,
        UnknownSection,
        TicketTypeMismatch,
        EventDatePast,
        IdempotencyKeyReused,
        ServiceUnavailable,
        RateLimited,
    ),
    summary="Book GA tickets (`tiers`), specific seats (`seats`) or seats side by side (`pickSeats`): all or nothing",
    dependencies=[limit_ip(_IP_RULE), limit_user(_USER_RULE)],
)
async def create_booking(
    request: Request,
    body: BookingRequest,
    user: CurrentUserDep,
    idempotency_key: IdempotencyKey = None,
    legacy_idempotency_key: LegacyIdempotencyKey = None,
) -> dict:
    state = request.app.state  # the hot path: app state read directly, not through three more dependencies
    return await service.book(state.db, state.settings, state.booking_groups, user, body,
                              idempotency_key or legacy_idempotency_key)
