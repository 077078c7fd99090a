from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from sse_starlette import EventSourceResponse

from ticketbooth.catalog import service as catalog_service
from ticketbooth.catalog.cache import caches_of
from ticketbooth.dependencies import DbDep, SettingsDep
from ticketbooth.errors import NotFound, ValidationFailed, responses

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get(
    "/event-dates/{event_date_id}/availability/stream",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        **responses(NotFound, ValidationFailed),
    },
    response_class=EventSourceResponse,
    summary="Live availability (Server-Sent Events)",
    description=(
        "First a `snapshot` (the availability JSON plus `\"type\": \"snapshot\"`), then a `change` whenever "
        "anything is sold, held or released, from any server process, within a second: for GA every tier with "
        "its remaining count, for SEATED the changed seats with their `status` now. Each message has an `id`; "
        "a reconnect with `Last-Event-ID` (or `?lastEventId=`) gets what changed since instead of a snapshot."
    ),
)
async def availability_stream(
    request: Request,
    event_date_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    db: DbDep,
    settings: SettingsDep,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0)] = None,
    last_event_id_query: Annotated[int | None, Query(alias="lastEventId", ge=0)] = None,
) -> EventSourceResponse:
    await catalog_service.get_event_date(db, event_date_id, max_tickets_per_order=settings.max_tickets_per_order)
    broker = request.app.state.broker
    resume_from = last_event_id if last_event_id is not None else last_event_id_query

    async def snapshot_body() -> bytes:
        rendered = await catalog_service.availability_body(
            db, caches_of(request)[0], event_date_id, transaction_timeout_s=settings.db_transaction_timeout_s
        )
        return rendered.body

    async def events():
        async for update in broker.stream(event_date_id, resume_from, snapshot_body):
            yield {"id": str(update.id), "event": update.event, "data": update.data}

    return EventSourceResponse(events(), ping=15)
