from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, status

from ticketbooth.booking import service
from ticketbooth.booking.grouping import GroupBooker
from ticketbooth.booking.schemas import BookingRequest, BookingResponse
from ticketbooth.dependencies import CurrentUserDep, DbDep, SettingsDep
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


async def _booking_groups(request: Request) -> GroupBooker | None:
    return request.app.state.booking_groups


BookingGroupsDep = Annotated[GroupBooker | None, Depends(_booking_groups)]

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
    body: BookingRequest,
    user: CurrentUserDep,
    db: DbDep,
    settings: SettingsDep,
    groups: BookingGroupsDep,
    idempotency_key: IdempotencyKey = None,
    legacy_idempotency_key: LegacyIdempotencyKey = None,
) -> dict:
    return await service.book(db, settings, groups, user, body, idempotency_key or legacy_idempotency_key)
