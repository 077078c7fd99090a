from typing import Annotated

from fastapi import APIRouter, Path, Query

from ticketbooth.dependencies import CurrentUserDep, DbDep
from ticketbooth.errors import Forbidden, NotFound, Unauthorized, ValidationFailed, responses
from ticketbooth.orders import service
from ticketbooth.orders.schemas import OrderOut

router = APIRouter(prefix="/api", tags=["orders"])


@router.get(
    "/orders/{order_id}",
    response_model=OrderOut,
    responses=responses(Unauthorized, NotFound, ValidationFailed),
    summary="One order with its tickets (your own; any for administrators)",
)
async def get_order(
    order_id: Annotated[int, Path(ge=1, le=2**63 - 1)], user: CurrentUserDep, db: DbDep
) -> dict:
    return await service.get_order(db, user, order_id)


@router.get(
    "/orders",
    response_model=list[OrderOut],
    responses=responses(Unauthorized, Forbidden, ValidationFailed),
    summary="Orders of a user, newest first (your own; any user's for administrators)",
)
async def list_orders(
    user: CurrentUserDep,
    db: DbDep,
    user_id: Annotated[
        int | None, Query(alias="userId", ge=1, le=2_147_483_647, description="Defaults to the logged-in user.")
    ] = None,
) -> list[dict]:
    return await service.list_orders(db, user, user_id)
