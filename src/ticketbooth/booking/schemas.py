from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from ticketbooth.kit import ApiModel, ApiResponse, Money

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]


class TierRequest(ApiModel):
    ticket_type_id: Id
    quantity: int = Field(ge=1, le=10_000, description="Tickets of this tier; at least 1.")


class SeatRequest(ApiModel):
    seat_id: Id
    ticket_type_id: Id | None = Field(
        default=None, description="Optional; when given it must be the seat's own tier."
    )


class PickSeatsRequest(ApiModel):
    quantity: int = Field(ge=1, le=200, description="Seats wanted, side by side in one row.")
    ticket_type_id: Id | None = Field(default=None, description="Optional: only seats of this tier.")
    section: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None = Field(
        default=None, description="Optional: only seats in this section."
    )


class BookingRequest(ApiModel):
    event_date_id: Id
    customer_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    payment_source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    user_id: Id | None = Field(
        default=None, description="Accepted for compatibility; must be the logged-in user's id."
    )
    tiers: list[TierRequest] | None = Field(default=None, max_length=50, description="GA dates only.")
    seats: list[SeatRequest] | None = Field(default=None, max_length=200, description="SEATED dates only.")
    pick_seats: PickSeatsRequest | None = Field(
        default=None,
        description="SEATED dates only, instead of `seats`: the box office picks this many free seats side by side.",
    )
    hold_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = Field(
        default=None,
        description="Book what this live hold (POST /api/holds) reserved, instead of sending `tiers` or `seats`.",
    )

    @model_validator(mode="after")
    def _one_kind_of_items(self) -> "BookingRequest":
        if self.hold_id is not None:
            if self.tiers is not None or self.seats is not None or self.pick_seats is not None:
                raise ValueError(
                    "send `holdId` alone, without `tiers`, `seats` or `pickSeats`: the hold says what to book")
            return self
        if self.pick_seats is not None:
            if self.tiers is not None or self.seats is not None:
                raise ValueError("send `pickSeats` alone, without `tiers` or `seats`: the box office picks the seats")
            return self
        if self.tiers and self.seats:
            raise ValueError("send either `tiers` (GA) or `seats` (SEATED), not both")
        if not self.tiers and not self.seats:
            raise ValueError("the order is empty: send at least one tier or seat")
        if self.tiers and len({t.ticket_type_id for t in self.tiers}) != len(self.tiers):
            raise ValueError("each ticketTypeId may appear only once in `tiers`")
        if self.seats and len({s.seat_id for s in self.seats}) != len(self.seats):
            raise ValueError("each seatId may appear only once in `seats`")
        return self


class BookedTicket(ApiResponse):
    id: int
    ticket_type: str
    seat_label: str | None
    to_name: str


class BookingResponse(ApiResponse):
    order_id: int
    total_amount: Money
    tickets: list[BookedTicket]
