"""Browser-facing hardening through a real server: security headers on the SPA, the API and /docs (served
without a CDN), CORS closed by default and open only to the allowlist, and passwords never in the logs.

(The body size limit, token expiry and logout revocation are covered in test_bad_input, test_booking and
test_accounts.)
"""

import json
import re
import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.support.factories import Factory
from tests.support.procs import running, sqlite_db  # noqa: F401 (a fixture)

ALLOWED_ORIGIN = "https://tickets.example.com"


@pytest.fixture(scope="module")
def spa_dist(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/index-abc.js"></script></head>'
        '<body><div id="root"></div></body></html>')
    (dist / "assets" / "index-abc.js").write_text("console.log('spa');")
    return dist


@pytest.fixture(scope="module")
def server(sqlite_db, spa_dist) -> Iterator:  # noqa: F811
    with running(sqlite_db.async_url, env={"TICKETBOOTH_WEB_DIST": str(spa_dist),
                                           "TICKETBOOTH_LOG_LEVEL": "debug"}) as proc:
        yield proc


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def assert_security_headers(response: httpx.Response) -> None:
    h = response.headers
    csp = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in h["Content-Security-Policy"].split(";")) if d}
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline scripts, no eval
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in h["Permissions-Policy"]
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in h  # plain HTTP here; only sent for HTTPS


@pytest.mark.parametrize("path", ["/", "/events/1", "/assets/index-abc.js"])
def test_the_spa_is_served_with_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("method, path", [("GET", "/api/events"), ("GET", "/api/orders"), ("GET", "/api/nope"),
                                          ("POST", "/api/login"), ("GET", "/health"), ("GET", "/openapi.json")])
def test_api_responses_carry_security_headers_and_are_not_cached(client, method, path):
    response = client.request(method, path, json={} if method == "POST" else None)
    assert_security_headers(response)
    if path == "/api/events":  # catalog bodies may be revalidated with their ETag, never used unchecked
        assert response.headers["Cache-Control"] == "no-cache"
    elif path.startswith("/api/"):
        assert response.headers["Cache-Control"] == "no-store"


def test_https_through_a_trusted_proxy_gets_hsts(client):
    response = client.get("/api/events", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_docs_work_offline_under_the_same_csp(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert_security_headers(page)
    html = page.text
    assert "cdn" not in html.lower() and "https://" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts), "inline script"
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert_security_headers(response)
    bundle = client.get("/docs/static/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert 'id="swagger-ui" data-openapi-url="/openapi.json"' in html
    assert client.get("/openapi.json").json()["openapi"].startswith("3.")


def test_cors_is_closed_by_default(client):
    preflight = client.options("/api/bookings", headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    simple = client.get("/api/events", headers={"Origin": ALLOWED_ORIGIN})
    assert simple.status_code == 200 and "Access-Control-Allow-Origin" not in simple.headers


def test_cors_allows_exactly_the_configured_origins(sqlite_db):  # noqa: F811
    with running(sqlite_db.async_url, env={"TICKETBOOTH_CORS_ORIGINS": f"{ALLOWED_ORIGIN}, https://other.example"}
                 ) as proc, httpx.Client(base_url=proc.url, timeout=30) as c:
        allowed = c.options("/api/bookings", headers={
            "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"})
        denied = c.options("/api/bookings", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        simple = c.get("/api/events", headers={"Origin": ALLOWED_ORIGIN})
        foreign = c.get("/api/events", headers={"Origin": "https://evil.example"})

    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert "Access-Control-Allow-Origin" not in denied.headers
    assert simple.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "X-Request-ID" in simple.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_passwords_never_reach_the_logs(server, client, sqlite_db):  # noqa: F811
    secret = f"Pw-{secrets.token_hex(8)}"
    wrong = f"Wrong-{secrets.token_hex(8)}"
    rejected = f"Rej-{secrets.token_hex(8)}"
    email = f"logcheck-{secrets.token_hex(4)}@example.com"
    seen_ids = []

    def call(path: str, body: dict) -> httpx.Response:
        response = client.post(path, json=body)
        seen_ids.append(response.headers["X-Request-ID"])
        return response

    assert call("/api/signup", {"firstName": "Log", "lastName": "Check", "email": email, "password": secret}
                ).status_code == 201
    assert call("/api/login", {"email": email, "password": secret}).status_code == 200
    assert call("/api/login", {"email": email, "password": wrong}).status_code == 401
    assert call("/api/signup", {"firstName": "", "lastName": "X", "email": "bad", "password": rejected}
                ).status_code == 422
    assert call("/api/login", {"email": email, "password": rejected, "extra": rejected}).status_code == 422
    token = client.post("/api/login", json={"email": email, "password": secret}).json()["token"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    admin = Factory(sqlite_db).user(admin=True)
    assert client.post("/api/users", headers=admin.auth, json={
        "firstName": "A", "lastName": "B", "email": f"x-{secrets.token_hex(4)}@example.com", "password": secret}
    ).status_code == 201

    log = server.log_path.read_text()
    for value in (secret, wrong, rejected, token):
        assert value not in log
    # the log is JSON lines, and each request's line carries the id the client saw
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    logged_ids = {r.get("request_id") for r in records}
    assert set(seen_ids) <= logged_ids
