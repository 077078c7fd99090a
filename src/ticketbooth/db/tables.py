"""The schema, shared by the migrations, the repositories and the tests.

Money is stored as integer cents; time as naive UTC datetimes (microsecond precision on every dialect).
"""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY, so big ids use BIGINT elsewhere only.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

SEATING_MODES = ("GA", "SEATED")

event = sa.Table(
    "event",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(160), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
)

venue = sa.Table(
    "venue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("venue_type", sa.String(40), nullable=False, default="arena"),
    sa.Column("accessible_wheelchair", sa.Boolean, nullable=False, default=False),
)

event_date = sa.Table(
    "event_date",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("event.id"), nullable=False, index=True),
    sa.Column("id_venue", sa.Integer, sa.ForeignKey("venue.id"), nullable=False, index=True),
    sa.Column("total_tickets", sa.Integer, nullable=False, default=0),
    sa.Column("event_date", UtcDateTime, nullable=False),
    sa.Column(
        "seating_mode",
        sa.Enum(*SEATING_MODES, name="seating_mode", native_enum=False, create_constraint=True, length=6),
        nullable=False,
    ),
    # What ticket's key on (event_date_id, event_id) points at: a ticket's event is its date's event.
    sa.Index("ix_event_date_id_event_id", "id", "event_id", unique=True),
)

seat = sa.Table(
    "seat",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("venue_id", sa.Integer, sa.ForeignKey("venue.id"), nullable=False),
    sa.Column("section", sa.String(20), nullable=False),
    sa.Column("row", sa.String(10), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("is_accessible", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("venue_id", "section", "row", "number"),
)

ticket_type = sa.Table(
    "ticket_type",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(40), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
)

event_date_has_ticket_type = sa.Table(
    "event_date_has_ticket_type",
    metadata,
    sa.Column("event_date_id", sa.Integer, sa.ForeignKey("event_date.id"), primary_key=True),
    sa.Column("ticket_type_id", sa.Integer, sa.ForeignKey("ticket_type.id"), primary_key=True),
    sa.Column("max_quantity", sa.Integer, nullable=False),
    sa.Column("remaining_tickets", sa.Integer, nullable=False),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.Column("number_people_included", sa.Integer, nullable=False, default=1),
    sa.Column("expiration_date", UtcDateTime, nullable=True),
    sa.CheckConstraint(
        "remaining_tickets >= 0 AND remaining_tickets <= max_quantity", name="remaining_within_capacity"
    ),
    sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
)

event_date_has_seat = sa.Table(
    "event_date_has_seat",
    metadata,
    sa.Column("event_date_id", sa.Integer, sa.ForeignKey("event_date.id"), primary_key=True),
    sa.Column("seat_id", sa.Integer, sa.ForeignKey("seat.id"), primary_key=True),
    sa.Column("ticket_type_id", sa.Integer, sa.ForeignKey("ticket_type.id"), nullable=False),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
)

user = sa.Table(
    "user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(60), nullable=False, unique=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("first_name", sa.String(100), nullable=False),
    sa.Column("last_name", sa.String(100), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

order = sa.Table(
    "order",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False),
    sa.Column("event_date_id", sa.Integer, sa.ForeignKey("event_date.id"), nullable=False),
    sa.Column("customer_name", sa.String(200), nullable=False),
    sa.Column("total_tickets", sa.Integer, nullable=False),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    sa.Column("payment_source", sa.String(100), nullable=False),
    # A retried request with the same key finds this order instead of booking twice; the unique
    # index makes two simultaneous requests with one key wait for each other in the database.
    sa.Column("idempotency_key", sa.String(128), nullable=True),
    sa.Column("request_hash", sa.String(64), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "idempotency_key"),
    sa.Index("ix_order_user_id_created_at", "user_id", "created_at"),
    # What ticket's key on (order_id, user_id) points at: a ticket's user is its order's user.
    sa.Index("ix_order_id_user_id", "id", "user_id", unique=True),
)

ticket = sa.Table(
    "ticket",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    # NULL while the seat is only held: a held seat is a ticket row of a hold, so the one unique
    # constraint below decides between holds and sales alike.
    sa.Column("order_id", BigId, nullable=True),
    sa.Column("hold_id", BigId, nullable=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("event_id", sa.Integer, nullable=False),
    sa.Column("event_date_id", sa.Integer, nullable=False),
    sa.Column("ticket_type_id", sa.Integer, sa.ForeignKey("ticket_type.id"), nullable=False),
    sa.Column("seat_id", sa.Integer, nullable=True),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.Column("to_name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # The seat guarantee: GA tickets have seat_id NULL, and NULLs never collide.
    sa.UniqueConstraint("event_date_id", "seat_id", name="uniq_ticket_eventdate_seat"),
    # The copied columns (user, event, seat) are checked by the keys of their sources, one check where two were
    # (each check is a lookup in the parent for every ticket written: migration 0006). A key with a NULL
    # column is not checked, so a ticket must belong to an order or a hold for its user to be checked.
    sa.ForeignKeyConstraint(["order_id", "user_id"], ["order.id", "order.user_id"]),
    sa.ForeignKeyConstraint(["hold_id", "user_id"], ["hold.id", "hold.user_id"]),
    sa.ForeignKeyConstraint(["event_date_id", "event_id"], ["event_date.id", "event_date.event_id"]),
    sa.ForeignKeyConstraint(
        ["event_date_id", "seat_id"], ["event_date_has_seat.event_date_id", "event_date_has_seat.seat_id"]
    ),
    sa.CheckConstraint("order_id IS NOT NULL OR hold_id IS NOT NULL", name="sold_or_held"),
    sa.Index("ix_ticket_order_id_user_id", "order_id", "user_id"),
    sa.Index("ix_ticket_hold_id_user_id", "hold_id", "user_id"),
)

HOLD_STATUSES = ("active", "released", "expired", "converted")

hold = sa.Table(
    "hold",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False),
    sa.Column("event_date_id", sa.Integer, sa.ForeignKey("event_date.id"), nullable=False),
    sa.Column(
        "status",
        sa.Enum(*HOLD_STATUSES, name="hold_status", native_enum=False, create_constraint=True, length=10),
        nullable=False,
    ),
    # The event date while the hold is active, NULL after: with the unique constraint below a user has at
    # most one active hold per show, on every dialect (MariaDB has no partial indexes).
    sa.Column("active_event_date_id", sa.Integer, nullable=True),
    sa.Column("customer_name", sa.String(200), nullable=False),
    sa.Column("payment_source", sa.String(100), nullable=False),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("order_id", BigId, sa.ForeignKey("order.id"), nullable=True),
    sa.UniqueConstraint("user_id", "active_event_date_id"),
    sa.Index("ix_hold_event_date_id_status_expires_at", "event_date_id", "status", "expires_at"),
    # What ticket's key on (hold_id, user_id) points at: a held seat's user is its hold's user.
    sa.Index("ix_hold_id_user_id", "id", "user_id", unique=True),
)

hold_tier = sa.Table(
    "hold_tier",
    metadata,
    sa.Column("hold_id", BigId, sa.ForeignKey("hold.id"), primary_key=True),
    sa.Column("ticket_type_id", sa.Integer, sa.ForeignKey("ticket_type.id"), primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)

# Append-only log of inventory changes, written in the transaction that makes the change; every server
# process polls it to push live availability to its subscribers, whichever process made the change.
availability_change = sa.Table(
    "availability_change",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("event_date_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("seat_ids", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_availability_change_event_date_id_id", "event_date_id", "id"),
)

role = sa.Table(
    "role",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(60), nullable=False, unique=True),
)

permission = sa.Table(
    "permission",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
)

role_has_user = sa.Table(
    "role_has_user",
    metadata,
    sa.Column("role_id", sa.Integer, sa.ForeignKey("role.id"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), primary_key=True),
)

role_has_permission = sa.Table(
    "role_has_permission",
    metadata,
    sa.Column("role_id", sa.Integer, sa.ForeignKey("role.id"), primary_key=True),
    sa.Column("permission_id", sa.Integer, sa.ForeignKey("permission.id"), primary_key=True),
)

auth_token = sa.Table(
    "auth_token",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    # Every server process polls the recent revocations (accounts/token_cache.py).
    sa.Index("ix_auth_token_revoked_at", "revoked_at"),
)
