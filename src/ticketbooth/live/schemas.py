"""Messages of the live availability stream (Server-Sent Events, `data:` is one of these as JSON)."""

from typing import Literal

from ticketbooth.catalog.schemas import GaAvailability, SeatedAvailability, TierAvailability
from ticketbooth.kit import ApiResponse


class SeatState(ApiResponse):
    seat_id: int
    status: Literal["available", "held", "sold"]
    available: bool


class GaSnapshot(GaAvailability):
    type: Literal["snapshot"] = "snapshot"


class SeatedSnapshot(SeatedAvailability):
    type: Literal["snapshot"] = "snapshot"


class GaChange(ApiResponse):
    type: Literal["change"] = "change"
    seating_mode: Literal["GA"]
    tiers: list[TierAvailability]


class SeatedChange(ApiResponse):
    type: Literal["change"] = "change"
    seating_mode: Literal["SEATED"]
    seats: list[SeatState]


_MODELS = {
    ("snapshot", "GA"): GaSnapshot,
    ("snapshot", "SEATED"): SeatedSnapshot,
    ("change", "GA"): GaChange,
    ("change", "SEATED"): SeatedChange,
}


def to_wire(kind: Literal["snapshot", "change"], data: dict) -> dict:
    return _MODELS[(kind, data["seating_mode"])].model_validate(data).model_dump(mode="json", by_alias=True)
