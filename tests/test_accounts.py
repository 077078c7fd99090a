"""Sign-up, login, logout, the admin-only POST /api/users, and argon2id password storage."""

import secrets
import time

import httpx
import pytest
import sqlalchemy as sa

from ticketbooth.db.tables import user as user_table
from tests.support.factories import snapshot


def _signup_body(**overrides) -> dict:
    tag = secrets.token_hex(4)
    return {"firstName": "Alice", "lastName": "Example", "email": f"alice-{tag}@example.com",
            "username": f"alice-{tag}", "password": "password123", **overrides}


def test_signup_has_the_spec_shape_and_stores_argon2id(api, database):
    body = _signup_body()

    response = api.post("/api/signup", json=body)

    assert response.status_code == 201
    user = response.json()
    assert set(user) == {"id", "username", "firstName", "lastName", "email", "createdAt", "updatedAt"}
    assert (user["username"], user["email"], user["firstName"]) == (body["username"], body["email"], "Alice")
    with database.engine.connect() as conn:
        stored = conn.execute(sa.select(user_table.c.password_hash).where(user_table.c.id == user["id"])).scalar_one()
    assert stored.startswith("$argon2id$") and "password123" not in stored


def test_signup_derives_a_unique_username_from_the_email(api):
    tag = secrets.token_hex(4)
    first = api.post("/api/signup", json=_signup_body(email=f"sam.{tag}@example.com", username=None))
    second = api.post("/api/signup", json=_signup_body(email=f"sam.{tag}@example.org", username=None))

    assert first.status_code == second.status_code == 201
    assert first.json()["username"] == f"sam.{tag}"
    assert second.json()["username"].startswith(f"sam.{tag}-")


@pytest.mark.parametrize("field", ["email", "username"])
def test_signup_with_a_taken_email_or_username_is_409(field, api, database):
    original = _signup_body()
    assert api.post("/api/signup", json=original).status_code == 201
    before = snapshot(database)

    response = api.post("/api/signup", json=_signup_body(**{field: original[field]}))

    assert response.status_code == 409
    assert response.json()["error"] == "USER_EXISTS"
    assert snapshot(database) == before


def test_signup_email_is_case_insensitive(api):
    body = _signup_body()
    assert api.post("/api/signup", json=body).status_code == 201
    again = api.post("/api/signup", json=_signup_body(email=body["email"].upper()))
    assert again.status_code == 409


@pytest.mark.parametrize(
    "overrides, field",
    [({"email": "not-an-email"}, "email"), ({"password": "short"}, "password"), ({"firstName": ""}, "firstName"),
     ({"username": "a b"}, "username"), ({"lastName": None}, "lastName")],
)
def test_signup_validation_names_the_field(overrides, field, api, database):
    before = snapshot(database)
    response = api.post("/api/signup", json=_signup_body(**overrides))
    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert field in [f["field"] for f in response.json()["fields"]]
    assert snapshot(database) == before


def test_login_by_email_or_username(api):
    body = _signup_body()
    created = api.post("/api/signup", json=body).json()

    for login in (body["email"], body["username"], body["email"].upper()):
        response = api.post("/api/login", json={"email": login, "password": body["password"]})
        assert response.status_code == 200, login
        assert set(response.json()) == {"token", "user"}
        assert response.json()["user"] == {k: created[k] for k in ("id", "username", "firstName", "lastName", "email")}
        assert len(response.json()["token"]) >= 32


@pytest.mark.parametrize("login, password", [("known", "wrong-password"), ("nobody@example.com", "password123")])
def test_login_with_bad_credentials_is_401(login, password, api):
    body = _signup_body()
    api.post("/api/signup", json=body)
    response = api.post("/api/login", json={"email": body["email"] if login == "known" else login,
                                            "password": password})
    assert response.status_code == 401
    assert response.json() == {"error": "UNAUTHORIZED", "message": "Invalid credentials"}


def test_token_works_until_logout(api):
    body = _signup_body()
    api.post("/api/signup", json=body)
    token = api.post("/api/login", json={"email": body["email"], "password": body["password"]}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    assert api.get("/api/me", headers=auth).json()["email"] == body["email"]
    assert api.post("/api/logout", headers=auth).status_code == 204
    assert api.get("/api/me", headers=auth).status_code == 401


def test_a_token_revoked_through_another_process_stops_working_there_within_a_poll(server, second_server, factory):
    """Each process trusts the tokens it has checked and polls the database for revocations every
    auth_revocation_poll_s (0.5 s): logout is immediate where it happens and reaches the other processes with
    their next poll."""
    auth = factory.user().auth
    with httpx.Client(base_url=server.url) as here, httpx.Client(base_url=second_server.url) as elsewhere:
        assert elsewhere.get("/api/me", headers=auth).status_code == 200
        assert here.post("/api/logout", headers=auth).status_code == 204
        revoked_at = time.monotonic()
        assert here.get("/api/me", headers=auth).status_code == 401
        while elsewhere.get("/api/me", headers=auth).status_code == 200:
            assert time.monotonic() - revoked_at < 1.5, "still trusted after three poll intervals"
            time.sleep(0.05)


def test_only_admins_create_users(api, factory, database):
    customer, admin = factory.user(), factory.user(admin=True)
    before = snapshot(database)

    assert api.post("/api/users", json=_signup_body()).status_code == 401
    forbidden = api.post("/api/users", headers=customer.auth, json=_signup_body())
    assert (forbidden.status_code, forbidden.json()["error"]) == (403, "FORBIDDEN")
    assert snapshot(database) == before

    created = api.post("/api/users", headers=admin.auth, json=_signup_body())
    assert created.status_code == 201
    assert set(created.json()) == {"id", "username", "firstName", "lastName", "email", "createdAt", "updatedAt"}
