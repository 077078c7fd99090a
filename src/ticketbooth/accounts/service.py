"""Sign-up, login and token checks."""

import re
import secrets
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from ticketbooth.accounts import repository
from ticketbooth.accounts.schemas import SignupRequest
from ticketbooth.accounts.security import hash_password, new_token, token_digest, verify_password
from ticketbooth.accounts.token_cache import CurrentUser, TokenCache
from ticketbooth.db.database import Database, is_unique_violation
from ticketbooth.errors import Unauthorized, UserExists
from ticketbooth.kit import utcnow

PERMISSION_READ_ANY_ORDER = "orders.read_any"
PERMISSION_CREATE_USER = "users.create"
_USERNAME_ATTEMPTS = 5


def _username_from_email(email: str) -> str:
    local = re.sub(r"[^A-Za-z0-9_.-]", "", email.split("@", 1)[0])[:50]
    return local if len(local) >= 3 else f"user{local}"


async def register(db: Database, request: SignupRequest, *, role_name: str = "customer") -> dict:
    password_hash = await hash_password(request.password)
    username = request.username or _username_from_email(request.email)
    for attempt in range(_USERNAME_ATTEMPTS):
        now = utcnow()
        values = {
            "username": username,
            "email": request.email,
            "first_name": request.first_name,
            "last_name": request.last_name,
            "password_hash": password_hash,
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with db.transaction() as conn:
                user_id = await repository.insert_user(conn, values=values)
                await repository.grant_role(conn, user_id=user_id, role_name=role_name)
        except IntegrityError as exc:
            if is_unique_violation(exc, "uq_user_email"):
                raise UserExists("A user with that email already exists") from None
            if not is_unique_violation(exc, "uq_user_username"):
                raise
            if request.username is not None or attempt == _USERNAME_ATTEMPTS - 1:
                raise UserExists("A user with that username already exists") from None
            # A derived username collided: keep the email's name and make it unique.
            username = f"{_username_from_email(request.email)[:50]}-{secrets.token_hex(3)}"
            continue
        return {**values, "id": user_id}
    raise AssertionError("unreachable")


async def login(db: Database, *, login_name: str, password: str, token_ttl: timedelta) -> tuple[str, dict]:
    async with db.read() as conn:
        found = await repository.find_login(conn, login_name)
    if not await verify_password(found.password_hash if found else None, password) or found is None:
        raise Unauthorized("Invalid credentials")
    token = new_token()
    now = utcnow()
    async with db.transaction() as conn:
        await repository.insert_token(
            conn, digest=token_digest(token), user_id=found.id, now=now, expires_at=now + token_ttl
        )
    return token, found._asdict()


async def logout(db: Database, tokens: TokenCache, user: CurrentUser) -> None:
    async with db.transaction() as conn:
        await repository.revoke_token(conn, digest=user.token_digest, now=utcnow())
    tokens.forget(user.token_digest)


async def get_profile(db: Database, user_id: int) -> dict:
    async with db.read() as conn:
        found = await repository.get_user(conn, user_id)
    if found is None:
        raise Unauthorized()
    return found._asdict()
