"""The one place for settings: environment variables prefixed TICKETBOOTH_ or a .env file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETBOOTH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./var/ticketbooth.db",
        description="SQLAlchemy URL: sqlite+aiosqlite, postgresql+asyncpg or mysql+asyncmy.",
    )
    db_pool_size: int = Field(default=10, description="Connections kept open per server process.")
    db_max_overflow: int = Field(default=20, description="Extra connections allowed under bursts.")
    sqlite_busy_timeout_ms: int = Field(default=10_000, description="How long a SQLite writer waits for the lock.")
    max_tickets_per_order: int = Field(default=10, description="Upper bound of tickets (GA) or seats in one order.")
    token_ttl_hours: float = Field(default=24, description="Lifetime of a login token.")
    max_body_bytes: int = Field(default=64 * 1024, description="Requests with a larger body get 413.")
    web_dist: Path = Field(
        default=_REPO_ROOT / "web" / "dist",
        description="Built single-page app served at /; skipped when the folder does not exist.",
    )
    host: str = Field(default="127.0.0.1", description="Default bind address of `ticketbooth serve`.")
    port: int = Field(default=4000, description="Default port of `ticketbooth serve`.")
    log_level: str = Field(default="info", description="Server log level.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
