"""Bring a database to the newest schema with Alembic (used by `ticketbooth migrate` and `serve`)."""

from alembic import command
from alembic.config import Config

from ticketbooth.db.database import ensure_sqlite_folder


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "ticketbooth:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    ensure_sqlite_folder(database_url)
    command.upgrade(alembic_config(database_url), revision)
