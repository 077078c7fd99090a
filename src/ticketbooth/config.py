"""The one place for settings: environment variables prefixed TICKETBOOTH_ or a .env file."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETBOOTH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./var/ticketbooth.db",
        description="SQLAlchemy URL: sqlite+aiosqlite, postgresql+asyncpg or mysql+asyncmy.",
    )
    db_pool_size: int = Field(
        default=15,
        description="Connections per server process. Mind the database's max_connections: every server process "
        "(instance x worker) opens up to pool size + overflow.",
    )
    db_max_overflow: int = Field(
        default=0,
        description="Extra connections beyond the pool, opened under bursts and closed again when returned. Under "
        "sustained load that is a connect per request (PostgreSQL: 283 instead of 565 bookings/s); with 0 requests "
        "queue for a pooled connection instead.",
    )
    database_replica_url: str | None = Field(
        default=None,
        description="Optional read replica (e.g. HAProxy's replica port of a Patroni cluster) for catalog pages "
        "only; availability and everything that decides a sale always read the primary.",
    )
    db_pool_pre_ping: bool = Field(
        default=False,
        description="Test every pooled connection before use (asyncpg: 3 extra round trips per checkout). Off: a "
        "connection found dead fails its request with 503 and the whole pool is replaced; clients retry.",
    )
    db_connect_timeout_s: float = Field(default=5, description="PostgreSQL: give up opening a connection after this.")
    db_pool_timeout_s: float = Field(default=10, description="Wait at most this long for a free pooled connection.")
    db_lock_timeout_ms: int = Field(
        default=5000, description="PostgreSQL lock_timeout: a statement waiting this long for a row lock gets 503."
    )
    db_transaction_timeout_s: float = Field(
        default=20,
        description="PostgreSQL: a transaction still running after this long has its connection closed (503). "
        "Never a statement cancel, which would let a COMMIT waiting for the sync standby report success.",
    )
    db_start_timeout_s: float = Field(
        default=60, description="How long `ticketbooth serve/migrate` waits for an unreachable database at start."
    )
    sqlite_busy_timeout_ms: int = Field(default=10_000, description="How long a SQLite writer waits for the lock.")
    booking_group_max_orders: int = Field(
        default=200, ge=1,
        description="Orders for one show that arrive while its previous booking transaction is in flight are "
        "booked together, up to this many per transaction (1: every order in a transaction of its own).",
    )
    max_tickets_per_order: int = Field(default=10, description="Upper bound of tickets (GA) or seats in one order.")
    catalog_list_ttl_s: float = Field(
        default=1.0,
        ge=0,
        description="GET /api/events is rendered at most once per this many seconds per server process, so it "
        "may lag a sale by that much (availability is exact, never cached past a change).",
    )
    hold_ttl_seconds: int = Field(default=600, ge=1, description="How long a hold keeps its tickets or seats.")
    auth_cache_ttl_s: float = Field(
        default=60.0, ge=0,
        description="A token checked this recently is trusted again without a query, as long as the revocation "
        "poll keeps succeeding (0: check every request). Role changes reach a running process within this long.",
    )
    live_poll_interval_s: float = Field(
        default=0.1, gt=0,
        description="While a show's availability changes, each server process with subscribers to its live stream "
        "reads the show's change log this often: seat maps lag a sale by about this long plus the read.",
    )
    live_idle_poll_interval_s: float = Field(
        default=0.5, gt=0,
        description="When a show's change log is quiet, the wait between reads doubles up to this long (the "
        "first sale after a quiet spell reaches seat maps within about this long).",
    )
    auth_revocation_poll_s: float = Field(
        default=0.5, gt=0,
        description="Each server process reads the tokens revoked elsewhere this often: a logout reaches every "
        "process within about this long. After 3 missed polls every token is checked in the database again.",
    )
    token_ttl_hours: float = Field(default=24, description="Lifetime of a login token.")
    max_body_bytes: int = Field(default=64 * 1024, description="Requests with a larger body get 413.")
    web_dist: Path = Field(
        default=_REPO_ROOT / "web" / "dist",
        description="Built single-page app served at /; skipped when the folder does not exist.",
    )
    host: str = Field(default="127.0.0.1", description="Default bind address of `ticketbooth serve`.")
    port: int = Field(default=4000, description="Default port of `ticketbooth serve`.")
    log_level: str = Field(default="info", description="Server log level.")
    log_format: Literal["json", "text"] = Field(
        default="json", description="`json`: one JSON object per log line, with the request id; `text`: plain lines."
    )
    access_log: bool = Field(
        default=True, description="Log one line per request (method, route, status, duration, request id)."
    )
    metrics_enabled: bool = Field(
        default=True,
        description="Serve Prometheus metrics at GET /metrics. With `--workers` > 1 set PROMETHEUS_MULTIPROC_DIR "
        "(`ticketbooth serve` creates one when unset) so every worker's numbers are added up.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for state shared by all server processes (rate-limit counters), e.g. "
        "`redis://127.0.0.1:6379/0`. Unset: counters live in each process's memory.",
    )
    rate_limit_enabled: bool = Field(default=True, description="Enforce the TICKETBOOTH_RATE_LIMIT_* limits (429).")
    rate_limit_login: str = Field(
        default="30/minute", description="POST /api/login attempts per client IP (`N/second|minute|hour|day`)."
    )
    rate_limit_login_failures: str = Field(
        default="5/15 minutes",
        description="Failed logins per account name before further attempts on it get 429 (brute-force brake).",
    )
    rate_limit_signup: str = Field(default="20/hour", description="POST /api/signup attempts per client IP.")
    rate_limit_bookings_ip: str = Field(
        default="1200/minute", description="POST /api/bookings requests per client IP (generous: NAT, proxies)."
    )
    rate_limit_bookings_user: str = Field(default="60/minute", description="POST /api/bookings requests per user.")
    rate_limit_holds_ip: str = Field(default="2400/minute", description="Hold requests per client IP.")
    rate_limit_holds_user: str = Field(default="120/minute", description="Hold requests per user.")
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies trusted for X-Forwarded-For/-Proto (comma-separated IPs or networks, `*` for any); "
        "the client IP of rate limits comes from that header only when the peer is one of them.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (comma-separated, e.g. "
        "`https://tickets.example.com`). Empty: no CORS headers, cross-origin browser calls are refused.",
    )
    content_security_policy: str = Field(
        default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'",
        description="Content-Security-Policy sent with every response (the SPA and /docs need no inline scripts).",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
