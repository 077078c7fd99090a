from typing import Literal

from pydantic import Field

from ticketbooth.kit import ApiResponse, Money, UtcTimestamp

SeatingMode = Literal["GA", "SEATED"]


class EventDateSummary(ApiResponse):
    id: int
    date: UtcTimestamp
    venue_name: str
    seating_mode: SeatingMode
    price_from: Money | None = Field(description="Lowest ticket price of the date (addition to the spec).")
    sold_out: bool = Field(description="True when nothing is left to book (addition to the spec).")


class EventOut(ApiResponse):
    id: int
    slug: str
    title: str
    description: str
    dates: list[EventDateSummary]


class EventRef(ApiResponse):
    id: int
    title: str
    description: str


class VenueRef(ApiResponse):
    id: int
    name: str
    capacity: int


class EventDateOut(ApiResponse):
    id: int
    event: EventRef
    date: UtcTimestamp
    venue: VenueRef
    seating_mode: SeatingMode
    max_tickets_per_order: int = Field(description="Most tickets or seats one order may hold (addition).")


class TierAvailability(ApiResponse):
    id: int
    name: str
    price: Money
    remaining: int


class GaAvailability(ApiResponse):
    seating_mode: Literal["GA"]
    tiers: list[TierAvailability]


class SeatAvailability(ApiResponse):
    seat_id: int
    label: str
    number: int = Field(description="Seat number within its row (addition).")
    ticket_type: str
    ticket_type_id: int = Field(description="The seat's tier id (addition).")
    price: Money
    available: bool
    status: Literal["available", "held", "sold"] = Field(description="Why a seat is unavailable (addition).")
    accessible: bool = Field(description="Wheelchair-accessible seat (addition).")


class RowAvailability(ApiResponse):
    row: str
    seats: list[SeatAvailability]


class SectionAvailability(ApiResponse):
    section: str
    rows: list[RowAvailability]


class SeatedAvailability(ApiResponse):
    seating_mode: Literal["SEATED"]
    sections: list[SectionAvailability]
