from typing import Annotated

from fastapi import APIRouter, Path, status
from fastapi.responses import Response

from ticketbooth.booking.schemas import BookingRequest
from ticketbooth.dependencies import CurrentUserDep, DbDep, SettingsDep
from ticketbooth.errors import (
    EventDatePast,
    HoldNotActive,
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
from ticketbooth.holds import service
from ticketbooth.holds.schemas import HoldOut

from ticketbooth.ratelimit import RateLimited, limit_ip, limit_user

router = APIRouter(prefix="/api", tags=["holds"])
HoldId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post(
    "/holds",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldOut,
    responses=responses(
        Unauthorized, NotFound, InsufficientInventory, SeatAlreadyTaken, ValidationFailed, OrderLimitExceeded,
        SeatingModeMismatch, UnknownTicketType, UnknownSeat, UnknownSection, TicketTypeMismatch, EventDatePast,
        ServiceUnavailable,
        RateLimited,
    ),
    summary="Reserve tickets or seats for a limited time (same body as a booking)",
    dependencies=[limit_ip("holds_ip"), limit_user("holds_user")],
    description=(
        "Held inventory is unavailable to everyone else until `expiresAt` (default 10 minutes). Book it with "
        "`POST /api/bookings` and `{\"holdId\": ...}`; a new hold on the same show replaces your previous one. "
        "With `pickSeats` the box office picks the seats (side by side in one row); the hold's items name them. "
        "After `expiresAt` the hold no longer blocks anyone and converting it answers 409 HOLD_EXPIRED."
    ),
)
async def place_hold(body: BookingRequest, user: CurrentUserDep, db: DbDep, settings: SettingsDep) -> dict:
    if body.hold_id is not None:
        raise HoldNotActive("`holdId` belongs in POST /api/bookings; send `tiers`, `seats` or `pickSeats` here.")
    return await service.place_hold(db, settings, user, body)


@router.get(
    "/holds/{hold_id}",
    response_model=HoldOut,
    responses=responses(Unauthorized, NotFound, ValidationFailed),
    summary="One of your holds, with its status and time left",
)
async def get_hold(hold_id: HoldId, user: CurrentUserDep, db: DbDep) -> dict:
    return await service.get_hold(db, user, hold_id)


@router.delete(
    "/holds/{hold_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, NotFound, HoldNotActive, ValidationFailed),
    summary="Release one of your holds: its tickets or seats go back on sale at once",
)
async def release_hold(hold_id: HoldId, user: CurrentUserDep, db: DbDep) -> Response:
    await service.release_hold(db, user, hold_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
