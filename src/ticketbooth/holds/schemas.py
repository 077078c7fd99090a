from typing import Literal

from pydantic import Field

from ticketbooth.kit import ApiResponse, Money, UtcTimestamp

HoldStatus = Literal["active", "expired", "released", "converted"]


class HoldItem(ApiResponse):
    ticket_type_id: int
    ticket_type: str
    quantity: int
    price: Money = Field(description="Price of one ticket.")
    seat_id: int | None = None
    seat_label: str | None = None


class HoldOut(ApiResponse):
    hold_id: int
    event_date_id: int
    status: HoldStatus = Field(description="`expired` as soon as expiresAt has passed, even before any clean-up.")
    expires_at: UtcTimestamp
    total_amount: Money
    items: list[HoldItem]
    order_id: int | None = Field(default=None, description="The order a converted hold became.")
