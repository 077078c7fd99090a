"""SQL for users, roles and login tokens."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
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


# Every request whose token a process has not checked recently runs this, for itself and the others that arrived with
# it: built once per dialect (building a statement costs more CPU than running it).
def _users_for_tokens(digests: sa.ColumnElement) -> sa.Select:
    return (
        sa.select(auth_token.c.token_hash, user.c.id, user.c.username, auth_token.c.expires_at,
                  permission.c.name.label("permission"))
        .join(auth_token, auth_token.c.user_id == user.c.id)
        .outerjoin(role_has_user, role_has_user.c.user_id == user.c.id)
        .outerjoin(role_has_permission, role_has_permission.c.role_id == role_has_user.c.role_id)
        .outerjoin(permission, permission.c.id == role_has_permission.c.permission_id)
        .where(digests, auth_token.c.revoked_at.is_(None), auth_token.c.expires_at > sa.bindparam("now"))
    )


# PostgreSQL: one array parameter, so that every batch size is the same prepared statement.
_USERS_FOR_TOKENS_PG = _users_for_tokens(
    auth_token.c.token_hash == sa.func.any(sa.bindparam("digests", type_=postgresql.ARRAY(sa.String)))
)
_USERS_FOR_TOKENS = _users_for_tokens(auth_token.c.token_hash.in_(sa.bindparam("digests", expanding=True)))


async def users_for_tokens(
    conn: AsyncConnection, *, digests: list[str], now: datetime
) -> dict[str, tuple[sa.Row, frozenset[str]]]:
    """Of `digests`, those of live tokens: digest -> (the user, with the token's expires_at; their permissions), in
    one round trip."""
    query = _USERS_FOR_TOKENS_PG if conn.dialect.name == "postgresql" else _USERS_FOR_TOKENS
    rows: dict[str, list[sa.Row]] = {}
    for row in (await conn.execute(query, {"digests": digests, "now": now})).all():
        rows.setdefault(row.token_hash, []).append(row)
    return {digest: (found[0], frozenset(r.permission for r in found if r.permission is not None))
            for digest, found in rows.items()}


_REVOKED_SINCE = sa.select(auth_token.c.token_hash).where(auth_token.c.revoked_at > sa.bindparam("since"))


async def revoked_since(conn: AsyncConnection, since: datetime) -> list[str]:
    return list((await conn.execute(_REVOKED_SINCE, {"since": since})).scalars())
