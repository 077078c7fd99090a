from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from ticketbooth.booking import service
from ticketbooth.booking.schemas import BookingRequest, BookingResponse
from ticketbooth.dependencies import CurrentUserDep
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
    UnknownTicketType,
    ValidationFailed,
    responses,
)

from ticketbooth.ratelimit import RateLimited, limit_ip, limit_user

router = APIRouter(prefix="/api", tags=["booking"])


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes retries safe: the same key returns the first booking instead of booking again.",
    ),
]
LegacyIdempotencyKey = Annotated[
    str | None,
    Header(alias="X-Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
           description="Older spelling of Idempotency-Key."),
]


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
        TicketTypeMismatch,
        EventDatePast,
        IdempotencyKeyReused,
        ServiceUnavailable,
        RateLimited,
    ),
    summary="Book GA tickets (`tiers`) or specific seats (`seats`): all or nothing",
    dependencies=[limit_ip("bookings_ip"), limit_user("bookings_user")],
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
