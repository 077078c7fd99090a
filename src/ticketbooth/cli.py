"""The `ticketbooth` command: serve, migrate, seed-demo."""

import argparse
import asyncio
import logging
import sys
import time

import uvicorn
from sqlalchemy.engine import make_url

from ticketbooth.config import get_settings
from ticketbooth.db import migrate
from ticketbooth.db.database import Database
from ticketbooth.seed import demo

log = logging.getLogger("ticketbooth")
_START_ATTEMPTS = 8


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _migrate_with_retry(url: str) -> None:
    """A database that is still starting is waited for with backoff; a clear message, not a traceback."""
    delay = 0.5
    for attempt in range(1, _START_ATTEMPTS + 1):
        try:
            migrate.upgrade(url)
            return
        except (OSError, ConnectionError) as exc:
            error = exc
        except Exception as exc:  # drivers wrap connection refusals in their own exception types
            if "connect" not in str(exc).lower() and "refused" not in str(exc).lower():
                raise
            error = exc
        if attempt == _START_ATTEMPTS:
            break
        log.warning("database %s not reachable (%s); retrying in %.1fs", _safe_url(url), error, delay)
        time.sleep(delay)
        delay = min(delay * 2, 10)
    sys.exit(f"ticketbooth: cannot reach the database at {_safe_url(url)}: {error}")


async def _seed_if_empty() -> bool:
    db = Database(get_settings())
    try:
        if not await demo.is_empty(db):
            return False
        await demo.seed_demo(db)
        return True
    finally:
        await db.dispose()


def cmd_migrate(_args) -> None:
    settings = get_settings()
    _migrate_with_retry(settings.database_url)
    print(f"database at {_safe_url(settings.database_url)} is at the newest schema")


def cmd_seed_demo(_args) -> None:
    settings = get_settings()
    _migrate_with_retry(settings.database_url)
    seeded = asyncio.run(_seed_if_empty())
    print("demo data seeded" if seeded else "database already holds events; demo data not added")


def cmd_serve(args) -> None:
    settings = get_settings()
    _migrate_with_retry(settings.database_url)
    if not args.no_seed and asyncio.run(_seed_if_empty()):
        log.warning("empty database: demo data seeded (customer %s)", demo.DEMO_CUSTOMER["email"])
    uvicorn.run(
        "ticketbooth.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level=settings.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="ticketbooth", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, seed an empty database with demo data, and serve API + web app")
    serve.add_argument("--host", help="bind address (default: TICKETBOOTH_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: TICKETBOOTH_PORT or 4000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument("--no-seed", action="store_true", help="do not seed demo data into an empty database")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="bring the database to the newest schema").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="add the demo events and users to an empty database").set_defaults(
        func=cmd_seed_demo
    )
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
