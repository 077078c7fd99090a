"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis), through a real server.

Every operation gets valid and invalid requests (bodies, path and query parameters, headers), logged in as a
customer so the booking, order and hold endpoints are reached past authentication. Generated ids are steered
onto real shows, seats, orders and holds part of the time, so bookings and holds really happen. Each response
must be no 5xx and must match what the schema documents: status code, content type, headers and body.

Bounded: TICKETBOOTH_FUZZ_EXAMPLES examples per operation (default 25: one to two minutes on SQLite here); the live
availability stream never ends by design and is left out (test_live and the authorization matrix cover it).
"""

import os
import random
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ticketbooth.app import create_app
from ticketbooth.config import Settings
from tests.support.factories import Factory
from tests.support.procs import running, sqlite_db  # noqa: F401 (a fixture)

EXAMPLES = int(os.environ.get("TICKETBOOTH_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


class Known:
    """Real ids the generated requests are steered onto."""

    def __init__(self, factory: Factory, api: httpx.Client, auth: dict):
        self.ga = [factory.ga_show({1: (500, 10000), 2: (500, 5000), 3: (5000, 2500)}).id for _ in range(2)]
        seated = factory.seated_show(rows=3, per_row=20)
        self.seated = [seated.id]
        self.seats = seated.seat_ids
        self.shows = self.ga + self.seated
        body = {"eventDateId": self.ga[0], "customerName": "Fuzz", "paymentSource": "card",
                "tiers": [{"ticketTypeId": 3, "quantity": 1}]}
        self.orders = [api.post("/api/bookings", headers=auth, json=body).json()["orderId"]]
        hold = api.post("/api/holds", headers=auth, json={**body, "eventDateId": self.ga[1]}).json()
        self.holds = [hold["holdId"]]


@pytest.fixture(scope="module")
def fuzz_server(sqlite_db) -> Iterator:  # noqa: F811
    with running(sqlite_db.async_url) as proc:
        yield proc


@pytest.fixture(scope="module")
def customer(sqlite_db):  # noqa: F811
    return Factory(sqlite_db).user()


@pytest.fixture(scope="module")
def known(sqlite_db, fuzz_server, customer) -> Known:  # noqa: F811
    with httpx.Client(base_url=fuzz_server.url, timeout=30) as api:
        return Known(Factory(sqlite_db), api, customer.auth)


# The schema the server serves, built from the app itself (schemathesis' lazy fixture loader does not work
# with this pytest); the requests go to the real server.
schema = schemathesis.openapi.from_dict(create_app(Settings(web_dist="/nonexistent")).openapi()).exclude(
    path_regex=r"/stream$")


def _steer(case, known: Known, rng: random.Random) -> None:
    """Half of the valid cases get real ids where the generator made up integers (invalid cases stay as they
    are: steering could make them valid)."""
    if (case.meta is not None and case.meta.generation.mode.is_negative) or rng.random() < 0.5:
        return
    params = case.path_parameters or {}
    for name, pool in (("event_date_id", known.shows), ("order_id", known.orders), ("hold_id", known.holds)):
        if isinstance(params.get(name), int):
            params[name] = rng.choice(pool)
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("eventDateId"), int):
        _steer_order(body, known, rng)
        # derandomized generation repeats the same few keys; a key reused with another body is a (correct) 422
        for header in ("Idempotency-Key", "X-Idempotency-Key"):
            if case.headers and header in case.headers:
                case.headers[header] = f"fuzz-{rng.getrandbits(64):x}"


def _steer_order(body: dict, known: Known, rng: random.Random) -> None:
    """Make a booking/hold body one the API can accept: one kind of items, distinct ids, small quantities."""
    body.pop("userId", None)
    if isinstance(body.get("holdId"), int) and rng.random() < 0.3:
        body.pop("tiers", None), body.pop("seats", None)
        body["holdId"] = rng.choice(known.holds)
        body["eventDateId"] = known.ga[1]
        return
    body.pop("holdId", None)
    if isinstance(body.get("seats"), list) and body["seats"] and not body.get("tiers"):
        body.pop("tiers", None)
        body["eventDateId"] = rng.choice(known.seated)
        chosen = rng.sample(known.seats, k=min(len(body["seats"]), 4))
        body["seats"] = [{"seatId": seat} for seat in chosen]
    else:
        body.pop("seats", None)
        body["eventDateId"] = rng.choice(known.ga)
        tiers = body.get("tiers") if isinstance(body.get("tiers"), list) and body.get("tiers") else [{}]
        chosen = rng.sample([1, 2, 3], k=min(len(tiers), 3))
        body["tiers"] = [{"ticketTypeId": tier, "quantity": rng.randint(1, 3)} for tier in chosen]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_schema(case, fuzz_server, known, customer):
    _steer(case, known, random.Random(repr(case.body) + repr(case.path_parameters)))
    # Generated tokens are random strings: put the customer's real one in their place, except where a negative
    # case left the header out on purpose (then 401 is the right answer).
    headers = dict(case.headers or {})
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if case.operation.path not in ("/api/signup", "/api/login", "/health") and (
            not negative or "Authorization" in headers):
        headers["Authorization"] = customer.auth["Authorization"]
    case.headers = headers
    case.call_and_validate(base_url=fuzz_server.url, checks=CHECKS, timeout=30)
