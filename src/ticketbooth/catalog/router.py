from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from ticketbooth.catalog import service
from ticketbooth.catalog.cache import caches_of, respond
from ticketbooth.catalog.schemas import EventDateOut, EventOut, GaAvailability, SeatedAvailability
from ticketbooth.dependencies import DbDep, SettingsDep
from ticketbooth.errors import NotFound, ValidationFailed, responses

router = APIRouter(prefix="/api", tags=["catalog"])
EventDateId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The event date (show) id.")]


class _RequestOnlyRoute(APIRoute):
    """For an endpoint that takes only the request and returns its own Response: called directly, without
    FastAPI's per-request dependency solving and endpoint bookkeeping (see booking/router.py, BookingRoute)."""

    def get_route_handler(self):
        return self.endpoint


async def list_events(request: Request) -> Response:
    # The busiest read of an on-sale: app state read directly, not through dependencies.
    state = request.app.state
    events_cache = caches_of(request)[1]
    settings = state.settings
    return respond(request, await service.events_body(
        state.db, events_cache, ttl_s=settings.catalog_list_ttl_s,
        transaction_timeout_s=settings.db_transaction_timeout_s))


router.add_api_route(
    "/events",
    list_events,
    methods=["GET"],
    response_model=list[EventOut],
    summary="All events with their dates",
    description=(
        "Rendered at most once per `TICKETBOOTH_CATALOG_LIST_TTL_S` (default 1 s) per server process, so it may "
        "be that much behind a sale (`priceFrom`, `soldOut`); availability is the exact view. Conditional: an "
        "`ETag` with `Cache-Control: no-cache`, `If-None-Match` gets 304."
    ),
    route_class_override=_RequestOnlyRoute,
)


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
async def get_availability(request: Request, event_date_id: EventDateId) -> Response:
    # Pre-rendered bytes (the response model documents the shape); exact per inventory version, see service.
    state = request.app.state
    availability_cache = caches_of(request)[0]
    rendered = await service.availability_body(
        state.db, availability_cache, event_date_id, transaction_timeout_s=state.settings.db_transaction_timeout_s
    )
    return respond(request, rendered)
