"""Browser-facing hardening: security headers on every response, CORS closed unless allowed, offline /docs.

* Content-Security-Policy (TICKETBOOTH_CONTENT_SECURITY_POLICY): scripts only from this origin and never
  inline; the Vite build of the SPA and the Swagger UI at /docs both load their scripts as files. Inline
  styles stay allowed (`style-src 'unsafe-inline'`): UI libraries (Radix, Swagger UI) set them at run time.
  `frame-ancestors 'none'` (and X-Frame-Options: DENY) forbid framing: no clickjacking.
* X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer, a Permissions-Policy that turns off device
  APIs, Cross-Origin-Opener/Resource-Policy: same-origin; HSTS when the request came over HTTPS (directly or
  through a trusted proxy's X-Forwarded-Proto).
* API responses are `Cache-Control: no-store` unless the route chose otherwise: tokens and orders must not
  be kept by shared caches.
* CORS: no CORS headers at all unless TICKETBOOTH_CORS_ORIGINS lists origins; then exactly those.
* /docs: Swagger UI from the files bundled in the `fastapi-offline` package (no CDN, no internet needed)
  with its start-up code in a file instead of an inline script, so the same strict CSP applies there.
"""

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketbooth.config import Settings

_HSTS = (b"strict-transport-security", b"max-age=31536000")
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, content_security_policy: str):
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if scope.get("scheme") == "https":
            extra.append(_HSTS)
        if scope["path"].startswith("/api/"):
            extra.append(_NO_STORE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_SWAGGER_STATIC = files("fastapi_offline") / "static"
_DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} - Swagger UI</title>
  <link rel="stylesheet" href="{root}/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="{root}/docs/static/favicon.png">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{root}{openapi_url}"></div>
  <script src="{root}/docs/static/swagger-ui-bundle.js"></script>
  <script src="{root}/docs/swagger-init.js"></script>
</body>
</html>
"""
_DOCS_INIT_JS = """\
const target = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: target.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  persistAuthorization: false,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def install_docs(app: FastAPI) -> None:
    """Swagger UI at /docs without a CDN (create the app with docs_url=None, redoc_url=None)."""
    app.mount("/docs/static", StaticFiles(directory=str(_SWAGGER_STATIC)), name="docs-static")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return HTMLResponse(_DOCS_HTML.format(title=app.title, root=root, openapi_url=app.openapi_url))

    async def swagger_init() -> Response:
        return Response(_DOCS_INIT_JS, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route("/docs/swagger-init.js", swagger_init, methods=["GET"], include_in_schema=False)


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,  # bearer tokens travel in a header, never in cookies
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Idempotency-Key", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID", "Location"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, content_security_policy=settings.content_security_policy)
