"""SQL for users, roles and login tokens."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbooth.db.tables import auth_token, permission, role, role_has_permission, role_has_user, user

_USER_COLUMNS = (
    user.c.id,
    user.c.username,
    user.c.first_name,
    user.c.last_name,
    user.c.email,
    user.c.created_at,
    user.c.updated_at,
)


async def insert_user(conn: AsyncConnection, *, values: dict) -> int:
    result = await conn.execute(sa.insert(user).values(**values))
    return result.inserted_primary_key[0]


async def grant_role(conn: AsyncConnection, *, user_id: int, role_name: str) -> None:
    role_id = (await conn.execute(sa.select(role.c.id).where(role.c.name == role_name))).scalar_one()
    await conn.execute(sa.insert(role_has_user).values(role_id=role_id, user_id=user_id))


async def get_user(conn: AsyncConnection, user_id: int) -> sa.Row | None:
    return (await conn.execute(sa.select(*_USER_COLUMNS).where(user.c.id == user_id))).first()


async def find_login(conn: AsyncConnection, login: str) -> sa.Row | None:
    """The user whose email or username is `login` (emails are stored lower-case)."""
    query = sa.select(*_USER_COLUMNS, user.c.password_hash).where(
        sa.or_(user.c.email == login.lower(), user.c.username == login)
    )
    rows = (await conn.execute(query)).all()
    # An email match wins over someone whose username happens to look like that email.
    return next((r for r in rows if r.email == login.lower()), rows[0] if rows else None)


async def insert_token(conn: AsyncConnection, *, digest: str, user_id: int, now: datetime, expires_at: datetime) -> None:
    await conn.execute(
        sa.insert(auth_token).values(token_hash=digest, user_id=user_id, created_at=now, expires_at=expires_at)
    )


async def revoke_token(conn: AsyncConnection, *, digest: str, now: datetime) -> None:
    await conn.execute(
        sa.update(auth_token).where(auth_token.c.token_hash == digest, auth_token.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# Every request with a token runs this: built once (building a statement costs more CPU than running it).
_USER_FOR_TOKEN = (
    sa.select(user.c.id, user.c.username, auth_token.c.expires_at, permission.c.name.label("permission"))
    .join(auth_token, auth_token.c.user_id == user.c.id)
    .outerjoin(role_has_user, role_has_user.c.user_id == user.c.id)
    .outerjoin(role_has_permission, role_has_permission.c.role_id == role_has_user.c.role_id)
    .outerjoin(permission, permission.c.id == role_has_permission.c.permission_id)
    .where(auth_token.c.token_hash == sa.bindparam("digest"), auth_token.c.revoked_at.is_(None),
           auth_token.c.expires_at > sa.bindparam("now"))
)


async def user_for_token(conn: AsyncConnection, *, digest: str, now: datetime) -> tuple[sa.Row, frozenset[str]] | None:
    """The user a live token belongs to, with their permissions, in one round trip (every request pays it)."""
    rows = (await conn.execute(_USER_FOR_TOKEN, {"digest": digest, "now": now})).all()
    if not rows:
        return None
    return rows[0], frozenset(r.permission for r in rows if r.permission is not None)


_REVOKED_SINCE = sa.select(auth_token.c.token_hash).where(auth_token.c.revoked_at > sa.bindparam("since"))


async def revoked_since(conn: AsyncConnection, since: datetime) -> list[str]:
    return list((await conn.execute(_REVOKED_SINCE, {"since": since})).scalars())
