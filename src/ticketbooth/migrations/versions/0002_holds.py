"""Holds (a cart that expires) and the availability change log.

A held seat is a ticket row with order_id NULL and hold_id set, so uniq_ticket_eventdate_seat decides
between holds and sales; GA holds take quantities out of remaining_tickets with the same conditional UPDATE.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "hold",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_date_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "released", "expired", "converted", name="hold_status", native_enum=False,
                    create_constraint=True, length=10),
            nullable=False,
        ),
        sa.Column("active_event_date_id", sa.Integer(), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("payment_source", sa.String(length=100), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("order_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_hold_user_id_user")),
        sa.ForeignKeyConstraint(["event_date_id"], ["event_date.id"], name=op.f("fk_hold_event_date_id_event_date")),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_hold_order_id_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
        sa.UniqueConstraint("user_id", "active_event_date_id", name=op.f("uq_hold_user_id_active_event_date_id")),
    )
    op.create_index("ix_hold_event_date_id_status_expires_at", "hold", ["event_date_id", "status", "expires_at"])
    op.create_table(
        "hold_tier",
        sa.Column("hold_id", BigId, nullable=False),
        sa.Column("ticket_type_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_hold_tier_quantity_positive")),
        sa.ForeignKeyConstraint(["hold_id"], ["hold.id"], name=op.f("fk_hold_tier_hold_id_hold")),
        sa.ForeignKeyConstraint(["ticket_type_id"], ["ticket_type.id"],
                                name=op.f("fk_hold_tier_ticket_type_id_ticket_type")),
        sa.PrimaryKeyConstraint("hold_id", "ticket_type_id", name=op.f("pk_hold_tier")),
    )
    op.create_table(
        "availability_change",
        sa.Column("id", BigId, nullable=False),
        sa.Column("event_date_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("seat_ids", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_change")),
    )
    op.create_index("ix_availability_change_event_date_id_id", "availability_change", ["event_date_id", "id"])
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.alter_column("order_id", existing_type=BigId, nullable=True)
        batch_op.add_column(sa.Column("hold_id", BigId, nullable=True))
        batch_op.create_foreign_key(op.f("fk_ticket_hold_id_hold"), "hold", ["hold_id"], ["id"])
        batch_op.create_index(op.f("ix_ticket_hold_id"), ["hold_id"])


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_index(op.f("ix_ticket_hold_id"))
        batch_op.drop_constraint(op.f("fk_ticket_hold_id_hold"), type_="foreignkey")
        batch_op.drop_column("hold_id")
        batch_op.alter_column("order_id", existing_type=BigId, nullable=False)
    op.drop_index("ix_availability_change_event_date_id_id", table_name="availability_change")
    op.drop_table("availability_change")
    op.drop_table("hold_tier")
    op.drop_index("ix_hold_event_date_id_status_expires_at", table_name="hold")
    op.drop_table("hold")
