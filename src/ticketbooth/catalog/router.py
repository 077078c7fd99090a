from typing import Annotated

from fastapi import APIRouter, Path

from ticketbooth.catalog import service
from ticketbooth.catalog.schemas import EventDateOut, EventOut, GaAvailability, SeatedAvailability
from ticketbooth.dependencies import DbDep, SettingsDep
from ticketbooth.errors import NotFound, ValidationFailed, responses

router = APIRouter(prefix="/api", tags=["catalog"])
EventDateId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The event date (show) id.")]


@router.get("/events", response_model=list[EventOut], summary="All events with their dates")
async def list_events(db: DbDep) -> list[dict]:
    return await service.list_events(db)


@router.get(
    "/event-dates/{event_date_id}",
    response_model=EventDateOut,
    responses=responses(NotFound, ValidationFailed),
    summary="One show: event, venue, date and seating mode",
)
async def get_event_date(event_date_id: EventDateId, db: DbDep, settings: SettingsDep) -> dict:
    return await service.get_event_date(db, event_date_id, max_tickets_per_order=settings.max_tickets_per_order)


@router.get(
    "/event-dates/{event_date_id}/availability",
    response_model=GaAvailability | SeatedAvailability,
    responses=responses(NotFound, ValidationFailed),
    summary="What is left: tiers with remaining counts (GA) or the seat map (SEATED)",
)
async def get_availability(event_date_id: EventDateId, db: DbDep) -> dict:
    return await service.get_availability(db, event_date_id)
