"""Small shared pieces: the API's base schema, money and time conventions."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown request fields are rejected."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ApiResponse(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def utcnow() -> datetime:
    """Naive UTC, the form every dialect stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def _iso_utc(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def _money(cents: int) -> int | float:
    """Cents to a JSON number in currency units: 10000 -> 100, 4950 -> 49.5 (exact: cents are integers)."""
    whole, rest = divmod(cents, 100)
    return whole if rest == 0 else cents / 100


UtcTimestamp = Annotated[datetime, PlainSerializer(_iso_utc, return_type=str)]
Money = Annotated[
    int,
    PlainSerializer(_money, return_type=Any),
    WithJsonSchema({"type": "number", "description": "Amount in currency units, exact to the cent."}),
]
