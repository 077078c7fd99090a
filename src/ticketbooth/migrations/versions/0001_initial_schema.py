"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Also inserts the reference data every installation shares: the ticket types (ids 1 VIP, 2 FRONT_ROW,
3 GA, as existing clients rely on them), and the roles and permissions of the RBAC tables.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=160), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('slug', name=op.f('uq_event_slug'))
    )
    op.create_table('permission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_permission')),
    sa.UniqueConstraint('name', name=op.f('uq_permission_name'))
    )
    op.create_table('role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role')),
    sa.UniqueConstraint('name', name=op.f('uq_role_name'))
    )
    op.create_table('ticket_type',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_type')),
    sa.UniqueConstraint('name', name=op.f('uq_ticket_type_name'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('venue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('venue_type', sa.String(length=40), nullable=False),
    sa.Column('accessible_wheelchair', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue'))
    )
    op.create_table('auth_token',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('expires_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revoked_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_auth_token_user_id_user')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_auth_token'))
    )
    with op.batch_alter_table('auth_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_token_user_id'), ['user_id'], unique=False)

    op.create_table('event_date',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('id_venue', sa.Integer(), nullable=False),
    sa.Column('total_tickets', sa.Integer(), nullable=False),
    sa.Column('event_date', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('seating_mode', sa.Enum('GA', 'SEATED', name='seating_mode', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_date_event_id_event')),
    sa.ForeignKeyConstraint(['id_venue'], ['venue.id'], name=op.f('fk_event_date_id_venue_venue')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_date'))
    )
    with op.batch_alter_table('event_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_date_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_date_id_venue'), ['id_venue'], unique=False)

    op.create_table('role_has_permission',
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('permission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['permission_id'], ['permission.id'], name=op.f('fk_role_has_permission_permission_id_permission')),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('fk_role_has_permission_role_id_role')),
    sa.PrimaryKeyConstraint('role_id', 'permission_id', name=op.f('pk_role_has_permission'))
    )
    op.create_table('role_has_user',
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('fk_role_has_user_role_id_role')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_role_has_user_user_id_user')),
    sa.PrimaryKeyConstraint('role_id', 'user_id', name=op.f('pk_role_has_user'))
    )
    op.create_table('seat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=20), nullable=False),
    sa.Column('row', sa.String(length=10), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('is_accessible', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venue.id'], name=op.f('fk_seat_venue_id_venue')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seat')),
    sa.UniqueConstraint('venue_id', 'section', 'row', 'number', name=op.f('uq_seat_venue_id_section_row_number'))
    )
    op.create_table('event_date_has_seat',
    sa.Column('event_date_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('ticket_type_id', sa.Integer(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_event_date_has_seat_price_not_negative')),
    sa.ForeignKeyConstraint(['event_date_id'], ['event_date.id'], name=op.f('fk_event_date_has_seat_event_date_id_event_date')),
    sa.ForeignKeyConstraint(['seat_id'], ['seat.id'], name=op.f('fk_event_date_has_seat_seat_id_seat')),
    sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_type.id'], name=op.f('fk_event_date_has_seat_ticket_type_id_ticket_type')),
    sa.PrimaryKeyConstraint('event_date_id', 'seat_id', name=op.f('pk_event_date_has_seat'))
    )
    op.create_table('event_date_has_ticket_type',
    sa.Column('event_date_id', sa.Integer(), nullable=False),
    sa.Column('ticket_type_id', sa.Integer(), nullable=False),
    sa.Column('max_quantity', sa.Integer(), nullable=False),
    sa.Column('remaining_tickets', sa.Integer(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('number_people_included', sa.Integer(), nullable=False),
    sa.Column('expiration_date', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_event_date_has_ticket_type_price_not_negative')),
    sa.CheckConstraint('remaining_tickets >= 0 AND remaining_tickets <= max_quantity', name=op.f('ck_event_date_has_ticket_type_remaining_within_capacity')),
    sa.ForeignKeyConstraint(['event_date_id'], ['event_date.id'], name=op.f('fk_event_date_has_ticket_type_event_date_id_event_date')),
    sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_type.id'], name=op.f('fk_event_date_has_ticket_type_ticket_type_id_ticket_type')),
    sa.PrimaryKeyConstraint('event_date_id', 'ticket_type_id', name=op.f('pk_event_date_has_ticket_type'))
    )
    op.create_table('order',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event_date_id', sa.Integer(), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('total_tickets', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('payment_source', sa.String(length=100), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['event_date_id'], ['event_date.id'], name=op.f('fk_order_event_date_id_event_date')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_order_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_order_user_id_idempotency_key'))
    )
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.create_index('ix_order_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('ticket',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('event_date_id', sa.Integer(), nullable=False),
    sa.Column('ticket_type_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=True),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('to_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['event_date_id'], ['event_date.id'], name=op.f('fk_ticket_event_date_id_event_date')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_ticket_event_id_event')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_ticket_order_id_order')),
    sa.ForeignKeyConstraint(['seat_id'], ['seat.id'], name=op.f('fk_ticket_seat_id_seat')),
    sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_type.id'], name=op.f('fk_ticket_ticket_type_id_ticket_type')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_ticket_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket')),
    sa.UniqueConstraint('event_date_id', 'seat_id', name='uniq_ticket_eventdate_seat')
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_order_id'), ['order_id'], unique=False)
    _insert_reference_data()


def _insert_reference_data() -> None:
    ticket_types = sa.table("ticket_type", sa.column("id"), sa.column("name"), sa.column("description"))
    op.bulk_insert(
        ticket_types,
        [
            {"id": 1, "name": "VIP", "description": "Best view, early entry and a lounge."},
            {"id": 2, "name": "FRONT_ROW", "description": "Right in front of the stage."},
            {"id": 3, "name": "GA", "description": "General admission."},
        ],
    )
    roles = sa.table("role", sa.column("id"), sa.column("name"))
    op.bulk_insert(roles, [{"id": 1, "name": "admin"}, {"id": 2, "name": "customer"}])
    permissions = sa.table("permission", sa.column("id"), sa.column("name"))
    op.bulk_insert(permissions, [{"id": 1, "name": "orders.read_any"}, {"id": 2, "name": "users.create"}])
    grants = sa.table("role_has_permission", sa.column("role_id"), sa.column("permission_id"))
    op.bulk_insert(grants, [{"role_id": 1, "permission_id": 1}, {"role_id": 1, "permission_id": 2}])


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_order_id'))

    op.drop_table('ticket')
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_user_id_created_at')

    op.drop_table('order')
    op.drop_table('event_date_has_ticket_type')
    op.drop_table('event_date_has_seat')
    op.drop_table('seat')
    op.drop_table('role_has_user')
    op.drop_table('role_has_permission')
    with op.batch_alter_table('event_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_date_id_venue'))
        batch_op.drop_index(batch_op.f('ix_event_date_event_id'))

    op.drop_table('event_date')
    with op.batch_alter_table('auth_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_token_user_id'))

    op.drop_table('auth_token')
    op.drop_table('venue')
    op.drop_table('user')
    op.drop_table('ticket_type')
    op.drop_table('role')
    op.drop_table('permission')
    op.drop_table('event')
