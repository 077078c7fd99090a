import asyncio
import logging

from fastapi import APIRouter
from pydantic import BaseModel

from ticketbooth.dependencies import DbDep
from ticketbooth.errors import ServiceUnavailable, responses

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])
_PING_TIMEOUT_S = 2.0
_RECENT_S = 2.0


class HealthOut(BaseModel):
    status: str


@router.get(
    "/health",
    response_model=HealthOut,
    responses=responses(ServiceUnavailable),
    summary="Liveness for load balancers: 200 when the database answers, 503 otherwise",
)
async def health(db: DbDep) -> dict:
    # Under a flash crowd a ping would queue behind hundreds of requests for a pooled connection and time out,
    # and a load balancer would take a busy, working instance out: a request that just succeeded is the answer.
    if db.answered_within(_RECENT_S):
        return {"status": "ok"}
    try:
        await asyncio.wait_for(db.ping(), timeout=_PING_TIMEOUT_S)
    except Exception as exc:  # any failure to reach the database means "do not route traffic here"
        log.warning("health check failed: %r", exc)
        raise ServiceUnavailable("The database is not reachable.") from None
    return {"status": "ok"}
