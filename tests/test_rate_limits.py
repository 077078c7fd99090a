"""Rate limits through real server processes: per client IP, per user, per account; shared through real Redis.

Rate limiting lives in the HTTP layer and does not depend on the database, so these tests run on one SQLite
database of their own, with servers started with small limits. Each test uses its own client addresses
(X-Forwarded-For from a trusted proxy: the test client at 127.0.0.1) so the tests do not share counters.
"""

import itertools
import os
import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.support.factories import PASSWORD, Factory, snapshot, tier_counts
from tests.support.procs import running, serving, sqlite_db  # noqa: F401 (a fixture)
from tests.support.redis_server import RedisServer, RedisUnavailable
from tests.support.servers import free_port

LOW_LIMITS = {
    "TICKETBOOTH_RATE_LIMIT_LOGIN": "3/minute",
    "TICKETBOOTH_RATE_LIMIT_LOGIN_FAILURES": "3/minute",
    "TICKETBOOTH_RATE_LIMIT_SIGNUP": "2/minute",
    "TICKETBOOTH_RATE_LIMIT_BOOKINGS_IP": "4/minute",
    "TICKETBOOTH_RATE_LIMIT_BOOKINGS_USER": "2/minute",
}
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))
_more_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


def new_ip() -> str:
    return next(_addresses)


def via(ip: str, headers: dict | None = None) -> dict:
    return {"X-Forwarded-For": ip, **(headers or {})}


@pytest.fixture(scope="module")
def limited(sqlite_db) -> Iterator[httpx.Client]:
    with running(sqlite_db.async_url, env=LOW_LIMITS) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client


@pytest.fixture
def make(sqlite_db) -> Factory:
    return Factory(sqlite_db)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer()
    except RedisUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis unavailable in CI: {exc}")
        pytest.skip(f"Redis unavailable: {exc}")
    yield server
    server.stop()


def assert_rate_limited(response: httpx.Response, max_retry_after: int = 60) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == "RATE_LIMITED" and set(body) == {"error", "message"}
    assert 1 <= int(response.headers["Retry-After"]) <= max_retry_after


def _login(client: httpx.Client, ip: str, name: str, password: str = "wrong-password") -> httpx.Response:
    return client.post("/api/login", headers=via(ip), json={"email": name, "password": password})


def _ga_booking(show_id: int) -> dict:
    return {"eventDateId": show_id, "customerName": "Limiter", "paymentSource": "card",
            "tiers": [{"ticketTypeId": 3, "quantity": 1}]}


def test_login_is_limited_per_client_ip(limited):
    ip = new_ip()
    for _ in range(3):
        assert _login(limited, ip, f"nobody-{secrets.token_hex(4)}@example.com").status_code == 401
    assert_rate_limited(_login(limited, ip, f"nobody-{secrets.token_hex(4)}@example.com"))
    # another client is not affected
    assert _login(limited, new_ip(), f"nobody-{secrets.token_hex(4)}@example.com").status_code == 401


def test_failed_logins_brake_that_account_only(limited, make):
    victim, bystander = make.user(), make.user()
    for _ in range(3):  # from different addresses: the per-IP limit is not what stops this
        assert _login(limited, new_ip(), victim.email).status_code == 401

    # even the right password is refused now: guessing on is pointless
    assert_rate_limited(_login(limited, new_ip(), victim.email, PASSWORD))
    assert_rate_limited(_login(limited, new_ip(), victim.email.upper(), PASSWORD))
    assert _login(limited, new_ip(), bystander.email, PASSWORD).status_code == 200


def test_unknown_accounts_are_braked_alike_so_429_reveals_nothing(limited):
    name = f"ghost-{secrets.token_hex(4)}@example.com"
    for _ in range(3):
        assert _login(limited, new_ip(), name).status_code == 401
    assert_rate_limited(_login(limited, new_ip(), name))


def test_successful_logins_do_not_count_as_failures(limited, make):
    user = make.user()
    for _ in range(5):
        response = _login(limited, new_ip(), user.email, PASSWORD)
        assert response.status_code == 200
        assert limited.post("/api/logout", headers={"Authorization": f"Bearer {response.json()['token']}"}
                            ).status_code == 204


def test_signup_is_limited_per_client_ip(limited, sqlite_db):
    ip = new_ip()

    def signup() -> httpx.Response:
        tag = secrets.token_hex(4)
        return limited.post("/api/signup", headers=via(ip), json={
            "firstName": "Sig", "lastName": "Nup", "email": f"s-{tag}@example.com", "password": "password123"})

    assert [signup().status_code for _ in range(2)] == [201, 201]
    before = snapshot(sqlite_db)
    assert_rate_limited(signup())
    assert snapshot(sqlite_db) == before
    assert limited.post("/api/signup", headers=via(new_ip()), json={
        "firstName": "Sig", "lastName": "Nup", "email": f"s-{secrets.token_hex(4)}@example.com",
        "password": "password123"}).status_code == 201


def test_bookings_are_limited_per_user_and_a_refused_booking_books_nothing(limited, make, sqlite_db):
    show = make.ga_show({3: (100, 1000)})
    alice, bob = make.user(), make.user()
    for _ in range(2):
        assert limited.post("/api/bookings", headers=via(new_ip(), alice.auth), json=_ga_booking(show.id)
                            ).status_code == 201

    before = snapshot(sqlite_db)
    assert_rate_limited(limited.post("/api/bookings", headers=via(new_ip(), alice.auth), json=_ga_booking(show.id)))
    assert snapshot(sqlite_db) == before
    assert tier_counts(sqlite_db, show.id)[3] == (100, 98, 2)
    assert limited.post("/api/bookings", headers=via(new_ip(), bob.auth), json=_ga_booking(show.id)).status_code == 201


def test_bookings_are_limited_per_client_ip(limited, make):
    show = make.ga_show({3: (100, 1000)})
    ip = new_ip()
    statuses = [limited.post("/api/bookings", headers=via(ip, make.user().auth), json=_ga_booking(show.id))
                for _ in range(5)]
    assert [r.status_code for r in statuses[:4]] == [201] * 4
    assert_rate_limited(statuses[4])


def test_anonymous_booking_attempts_count_against_the_ip(limited, make):
    ip = new_ip()
    for _ in range(4):
        assert limited.post("/api/bookings", headers=via(ip), json=_ga_booking(1)).status_code == 401
    assert_rate_limited(limited.post("/api/bookings", headers=via(ip, make.user().auth), json=_ga_booking(1)))


def test_the_429_is_documented(limited):
    paths = limited.get("/openapi.json").json()["paths"]
    for path in ("/api/login", "/api/signup", "/api/bookings"):
        assert "RATE_LIMITED" in paths[path]["post"]["responses"]["429"]["description"]


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(sqlite_db):
    """`ticketbooth serve` trusts X-Forwarded-For only from TICKETBOOTH_FORWARDED_ALLOW_IPS (the other tests
    show that it is honoured from a trusted proxy: each of their made-up addresses has its own counters)."""
    env = {**LOW_LIMITS, "TICKETBOOTH_FORWARDED_ALLOW_IPS": "192.0.2.1"}
    with serving(sqlite_db.async_url, env=env) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        statuses = [_login(client, next(_more_addresses), f"n-{secrets.token_hex(4)}@example.com").status_code
                    for _ in range(5)]
    # a client cannot escape its limit by making up X-Forwarded-For headers
    assert statuses == [401, 401, 401, 429, 429]


def test_limits_are_shared_by_all_processes_through_redis(sqlite_db, redis_server):
    env = {**LOW_LIMITS, "TICKETBOOTH_REDIS_URL": redis_server.url, "TICKETBOOTH_RATE_LIMIT_LOGIN": "4/minute"}
    with running(sqlite_db.async_url, env=env) as one, running(sqlite_db.async_url, env=env) as two, \
            httpx.Client(base_url=one.url, timeout=30) as a, httpx.Client(base_url=two.url, timeout=30) as b:
        ip = new_ip()
        statuses = [_login(client, ip, f"n-{secrets.token_hex(4)}@example.com") for client in (a, b, a, b, a, b)]
    assert [r.status_code for r in statuses[:4]] == [401] * 4
    assert_rate_limited(statuses[4])
    assert_rate_limited(statuses[5])


def test_an_unreachable_redis_does_not_take_the_api_down(sqlite_db, make):
    env = {**LOW_LIMITS, "TICKETBOOTH_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    user = make.user()
    with running(sqlite_db.async_url, env=env) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        ip = new_ip()
        statuses = [_login(client, ip, user.email, PASSWORD).status_code for _ in range(5)]
        log = server.log_path.read_text()
    assert statuses == [200] * 5  # fail open: limits pause, logins go on
    assert "rate-limit storage failed" in log
