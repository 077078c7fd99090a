"""FastAPI dependencies shared by the routers: the database, settings and the logged-in user."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticketbooth.accounts.token_cache import CurrentUser
from ticketbooth.config import Settings
from ticketbooth.db.database import Database
from ticketbooth.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="The token returned by POST /api/login.")


# Dependencies are `async def` even when they do not await: FastAPI runs a plain `def` dependency in its thread
# pool, a thread hop per request that halved booking throughput.
async def _db(request: Request) -> Database:
    return request.app.state.db


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def _current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> CurrentUser:
    # Every authenticated request resolves this: app state is read directly rather than through two more
    # dependencies (FastAPI's dependency resolution costs more CPU per node than the lookups themselves).
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Log in first: send `Authorization: Bearer <token>`.")
    return await request.app.state.tokens.user_for(credentials.credentials)


CurrentUserDep = Annotated[CurrentUser, Depends(_current_user)]


async def authenticate(request: Request) -> CurrentUser:
    """What CurrentUserDep resolves to, for a route that does not solve its dependencies through FastAPI."""
    return await _current_user(request, await _bearer(request))
