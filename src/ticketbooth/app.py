"""The FastAPI application: routers by domain, one error envelope, the SPA, and the database lifecycle."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from ticketbooth.accounts.router import router as accounts_router
from ticketbooth.accounts.token_cache import TokenCache
from ticketbooth.body_limit import BodySizeLimit
from ticketbooth.booking.grouping import GroupBooker
from ticketbooth.booking.router import router as booking_router
from ticketbooth.catalog.router import router as catalog_router
from ticketbooth.config import Settings, get_settings
from ticketbooth.db.database import Database
from ticketbooth.errors import install_error_handlers
from ticketbooth.health.router import router as health_router
from ticketbooth.holds.router import router as holds_router
from ticketbooth.live.router import router as live_router
from ticketbooth.live.service import AvailabilityBroker
from ticketbooth.observability import install_observability
from ticketbooth.openapi_errors import install_common_error_responses
from ticketbooth.ratelimit import install_rate_limits
from ticketbooth.security_headers import install_docs, install_security_headers
from ticketbooth.serving import tune_garbage_collector
from ticketbooth.orders.router import router as orders_router
from ticketbooth.web import mount_spa

DESCRIPTION = """
Browse concerts, pick GA quantities or exact seats, and book them without ever selling a ticket twice.

* Errors always come as `{"error": CODE, "message": "..."}` (validation errors add `fields`).
* Booking and orders need `Authorization: Bearer <token>` from `POST /api/login`.
* `POST /api/bookings` accepts an `Idempotency-Key` header: a retry with the same key returns the first
  booking (201, same order id) instead of booking again.
"""


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.db = Database(settings)
        app.state.broker = AvailabilityBroker(app.state.db, poll_interval_s=settings.live_poll_interval_s,
                                              idle_poll_interval_s=settings.live_idle_poll_interval_s)
        app.state.tokens = TokenCache(app.state.db, ttl_s=settings.auth_cache_ttl_s,
                                      poll_s=settings.auth_revocation_poll_s)
        await app.state.tokens.start()
        app.state.booking_groups = (
            GroupBooker(app.state.db, max_orders=settings.booking_group_max_orders)
            if settings.booking_group_max_orders > 1 else None
        )
        tune_garbage_collector()
        try:
            yield
        finally:
            if app.state.booking_groups is not None:
                await app.state.booking_groups.close()
            await app.state.broker.close()
            await app.state.tokens.close()
            await app.state.db.dispose()

    app = FastAPI(
        title="Ticketbooth API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # served offline by install_docs
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    for router in (
        catalog_router, live_router, booking_router, holds_router, orders_router, accounts_router, health_router
    ):
        app.include_router(router)
    install_rate_limits(app, settings)
    install_docs(app)
    install_common_error_responses(app)
    install_security_headers(app, settings)
    install_observability(app, settings)  # outermost: request id and timing cover everything above
    mount_spa(app, settings.web_dist)
    return app
