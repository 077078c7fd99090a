"""Authorization matrix: every endpoint x (anonymous, customer A, customer B, admin) with the expected status.

A owns an order and a hold; B is another customer; the admin may read any order but not anyone's holds. One
line per endpoint (and per interesting variant); `test_every_endpoint_is_in_the_matrix` fails when the API
gains an endpoint that has no line here. Roles are tried in the order anonymous, B, admin, A, so the owner's
own request comes after everyone else has tried to read or change the record, and checks then prove it is
unchanged.
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from tests.support.factories import PASSWORD, Factory, User

ROLES = ("anonymous", "customer_b", "admin", "customer_a")  # the owner (A) goes last


@dataclass
class Ctx:
    api: httpx.Client
    users: dict[str, User | None]
    ids: dict[str, int] = field(default_factory=dict)

    def auth(self, role: str) -> dict:
        user = self.users[role]
        return user.auth if user else {}


Body = Callable[[Ctx], dict] | None
Check = Callable[[Ctx, str, httpx.Response], None] | None


@dataclass
class Row:
    method: str
    path: str  # formatted with ctx.ids
    expected: dict[str, int]  # role -> status
    body: Body = None
    check: Check = None
    stream: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def expect(anonymous: int, a: int, b: int, admin: int) -> dict[str, int]:
    return {"anonymous": anonymous, "customer_a": a, "customer_b": b, "admin": admin}


def _ga(ctx: Ctx, show: str = "show", **extra) -> dict:
    return {"eventDateId": ctx.ids[show], "customerName": "Matrix", "paymentSource": "card",
            "tiers": [{"ticketTypeId": 3, "quantity": 1}], **extra}


def _signup(_ctx: Ctx) -> dict:
    tag = secrets.token_hex(4)
    return {"firstName": "M", "lastName": "X", "email": f"m-{tag}@example.com", "password": "password123"}


def _own_profile(ctx: Ctx, role: str, response: httpx.Response) -> None:
    if response.status_code == 200:
        assert response.json()["id"] == ctx.users[role].id


def _no_foreign_orders(ctx: Ctx, role: str, response: httpx.Response) -> None:
    if response.status_code == 200:
        ids = [o["id"] for o in response.json()]
        assert (ctx.ids["order_a"] in ids) == (role == "customer_a"), ids


def _orders_of_a(ctx: Ctx, role: str, response: httpx.Response) -> None:
    if response.status_code == 200:
        assert ctx.ids["order_a"] in [o["id"] for o in response.json()]


def _hold_still_active(ctx: Ctx, role: str, response: httpx.Response) -> None:
    if role != "customer_a":
        owner_view = ctx.api.get(f"/api/holds/{ctx.ids['hold_a']}", headers=ctx.auth("customer_a"))
        assert owner_view.json()["status"] == "active", f"{role} changed A's hold"


def _hold_converted_only_by_owner(ctx: Ctx, role: str, response: httpx.Response) -> None:
    _hold_still_active(ctx, role, response)
    if role == "customer_a":
        assert ctx.api.get(f"/api/holds/{ctx.ids['hold_a']}", headers=ctx.auth("customer_a")).json()["status"] \
            == "converted"


MATRIX = [
    Row("GET", "/health", expect(200, 200, 200, 200)),
    Row("GET", "/api/events", expect(200, 200, 200, 200)),
    Row("GET", "/api/event-dates/{show}", expect(200, 200, 200, 200)),
    Row("GET", "/api/event-dates/{show}/availability", expect(200, 200, 200, 200)),
    Row("GET", "/api/event-dates/{show}/availability/stream", expect(200, 200, 200, 200), stream=True),
    Row("POST", "/api/signup", expect(201, 201, 201, 201), body=_signup),
    Row("POST", "/api/login", expect(200, 200, 200, 200),
        body=lambda ctx: {"email": ctx.users["customer_a"].email, "password": PASSWORD}),
    Row("POST", "/api/logout", expect(401, 204, 204, 204)),
    Row("GET", "/api/me", expect(401, 200, 200, 200), check=_own_profile),
    Row("POST", "/api/users", expect(401, 403, 403, 201), body=_signup),
    Row("POST", "/api/bookings", expect(401, 201, 201, 201), body=_ga),
    Row("POST", "/api/bookings#userId-of-A", expect(401, 201, 403, 403),
        body=lambda ctx: _ga(ctx, userId=ctx.users["customer_a"].id)),
    Row("POST", "/api/bookings#holdId-of-A", expect(401, 201, 404, 404), check=_hold_converted_only_by_owner,
        body=lambda ctx: {"eventDateId": ctx.ids["hold_show"], "customerName": "Matrix", "paymentSource": "card",
                          "holdId": ctx.ids["hold_a"]}),
    Row("GET", "/api/orders/{order_a}", expect(401, 200, 404, 200)),
    Row("GET", "/api/orders", expect(401, 200, 200, 200), check=_no_foreign_orders),
    Row("GET", "/api/orders?userId={user_a}", expect(401, 200, 403, 200), check=_orders_of_a),
    Row("POST", "/api/holds", expect(401, 201, 201, 201), body=lambda ctx: _ga(ctx, "hold_show")),
    Row("GET", "/api/holds/{hold_a}", expect(401, 200, 404, 404), check=_hold_still_active),
    Row("DELETE", "/api/holds/{hold_a}", expect(401, 204, 404, 404), check=_hold_still_active),
]


@pytest.fixture
def ctx(api, factory: Factory) -> Ctx:
    users = {"anonymous": None, "customer_a": factory.user(), "customer_b": factory.user(),
             "admin": factory.user(admin=True)}
    c = Ctx(api, users)
    c.ids["show"] = factory.ga_show({3: (1000, 1000)}).id
    c.ids["hold_show"] = factory.ga_show({3: (1000, 1000)}).id
    c.ids["user_a"] = users["customer_a"].id
    order = api.post("/api/bookings", headers=c.auth("customer_a"), json=_ga(c))
    assert order.status_code == 201, order.text
    c.ids["order_a"] = order.json()["orderId"]
    hold = api.post("/api/holds", headers=c.auth("customer_a"), json=_ga(c, "hold_show"))
    assert hold.status_code == 201, hold.text
    c.ids["hold_a"] = hold.json()["holdId"]
    return c


def _call(ctx: Ctx, row: Row, role: str) -> httpx.Response:
    url = row.path.split("#")[0].format(**ctx.ids)
    headers = ctx.auth(role)
    body = row.body(ctx) if row.body else None
    if row.stream:
        with ctx.api.stream(row.method, url, headers=headers, timeout=10) as response:
            return response  # status and headers only: the stream itself never ends
    return ctx.api.request(row.method, url, headers=headers, json=body)


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: r.id)
def test_authorization(row: Row, ctx: Ctx):
    got = {}
    for role in ROLES:
        response = _call(ctx, row, role)
        got[role] = response.status_code
        if response.status_code == 401:
            assert response.json()["error"] == "UNAUTHORIZED"
        if row.check:
            row.check(ctx, role, response)
    assert got == row.expected


def test_every_endpoint_is_in_the_matrix(api):
    documented = {(method.upper(), path) for path, ops in api.get("/openapi.json").json()["paths"].items()
                  for method in ops}
    covered = {(row.method, re.sub(r"\{[a-z_]+\}", "{}", row.path.split("#")[0].split("?")[0]))
               for row in MATRIX}
    normalized = {(m, re.sub(r"\{[a-z_]+\}", "{}", p)) for m, p in documented}
    assert normalized - covered == set(), "add a line to MATRIX for each new endpoint"
