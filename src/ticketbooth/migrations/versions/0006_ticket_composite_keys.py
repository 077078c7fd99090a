"""Ticket's foreign keys check its copied columns against their source: four checks per seated ticket instead of six.

A ticket copies its order's user, its date's event and its seat from rows it already references. Each of those
copies had a key of its own (user, event, seat), and the database checked each one on every ticket: in a seated rush
foreign-key checks were half of PostgreSQL's CPU per booking (docs/benchmarks.md, "Thirteenth round"). Now each
copy rides on the key of its source:

- (order_id, user_id) -> order (id, user_id), and (hold_id, user_id) -> hold (id, user_id): the ticket's user is its
  order's or its hold's user, and a ticket belongs to an order or a hold (ck_ticket_sold_or_held), so its user is
  always checked;
- (event_date_id, event_id) -> event_date (id, event_id): the ticket's event is its date's event;
- (event_date_id, seat_id) -> event_date_has_seat: the seat is on sale for that date (GA tickets have no seat).

No guarantee is lost and three are gained. The parents get unique indexes on (id, copied column) for the keys to
point at. On MariaDB the old single-column keys leave their indexes behind; they are dropped, so ticket ends with
two indexes fewer there. Every existing ticket is checked against the new keys while ticket writes wait: a million
tickets took 1.5 s on PostgreSQL, 1.8 s on SQLite (which copies the table) and 8 s on MariaDB, on a 2-core box.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (name, columns, parent, parent columns) of the keys this revision replaces, and of those it creates.
_SINGLE_KEYS = [
    ("fk_ticket_order_id_order", ["order_id"], "order", ["id"]),
    ("fk_ticket_hold_id_hold", ["hold_id"], "hold", ["id"]),
    ("fk_ticket_user_id_user", ["user_id"], "user", ["id"]),
    ("fk_ticket_event_id_event", ["event_id"], "event", ["id"]),
    ("fk_ticket_event_date_id_event_date", ["event_date_id"], "event_date", ["id"]),
    ("fk_ticket_seat_id_seat", ["seat_id"], "seat", ["id"]),
]
_COMPOSITE_KEYS = [
    ("fk_ticket_order_id_order", ["order_id", "user_id"], "order", ["id", "user_id"]),
    ("fk_ticket_hold_id_hold", ["hold_id", "user_id"], "hold", ["id", "user_id"]),
    ("fk_ticket_event_date_id_event_date", ["event_date_id", "event_id"], "event_date", ["id", "event_id"]),
    ("fk_ticket_event_date_id_event_date_has_seat", ["event_date_id", "seat_id"], "event_date_has_seat",
     ["event_date_id", "seat_id"]),
]
_SINGLE_KEY_INDEXES = [("ix_ticket_order_id", ["order_id"]), ("ix_ticket_hold_id", ["hold_id"])]
_COMPOSITE_KEY_INDEXES = [("ix_ticket_order_id_user_id", ["order_id", "user_id"]),
                          ("ix_ticket_hold_id_user_id", ["hold_id", "user_id"])]
_PARENT_INDEXES = [
    ("ix_event_date_id_event_id", "event_date", ["id", "event_id"]),
    ("ix_order_id_user_id", "order", ["id", "user_id"]),
    ("ix_hold_id_user_id", "hold", ["id", "user_id"]),
]
# InnoDB gives a foreign key without a usable index one of its own, named after the key, and keeps it when the key
# is dropped. These are the ones the single-column keys had (event_date_id used uniq_ticket_eventdate_seat).
_MARIADB_SINGLE_KEY_INDEXES = ["fk_ticket_user_id_user", "fk_ticket_event_id_event", "fk_ticket_seat_id_seat"]
_MARIADB_COMPOSITE_KEY_INDEXES = ["fk_ticket_event_date_id_event_date"]
_SOLD_OR_HELD = ("ck_ticket_sold_or_held", "order_id IS NOT NULL OR hold_id IS NOT NULL")


def upgrade() -> None:
    for name, table, columns in _PARENT_INDEXES:
        op.create_index(name, table, columns, unique=True)
    _rekey_ticket(old_keys=_SINGLE_KEYS, old_indexes=_SINGLE_KEY_INDEXES, new_keys=_COMPOSITE_KEYS,
                  new_indexes=_COMPOSITE_KEY_INDEXES, mariadb_key_indexes=_MARIADB_SINGLE_KEY_INDEXES,
                  sold_or_held=True)


def downgrade() -> None:
    _rekey_ticket(old_keys=_COMPOSITE_KEYS, old_indexes=_COMPOSITE_KEY_INDEXES, new_keys=_SINGLE_KEYS,
                  new_indexes=_SINGLE_KEY_INDEXES, mariadb_key_indexes=_MARIADB_COMPOSITE_KEY_INDEXES,
                  sold_or_held=False)
    for name, table, _ in _PARENT_INDEXES:
        op.drop_index(name, table_name=table)


def _rekey_ticket(*, old_keys, old_indexes, new_keys, new_indexes, mariadb_key_indexes, sold_or_held: bool) -> None:
    """Swap ticket's keys and their indexes; sold_or_held: add the CHECK (else drop it)."""
    check_name, check = _SOLD_OR_HELD
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        # InnoDB copies the whole table for every ALTER that adds a foreign key (it checks each row), and ticket
        # writes wait meanwhile: all additions in one statement copy it once (a million tickets: 8 s instead of 38 s
        # as separate statements). The drops go first, on their own: a key cannot be dropped and added again under
        # the same name in one statement.
        quote = op.get_bind().dialect.identifier_preparer.quote
        drops = [f"DROP FOREIGN KEY {name}" for name, *_ in old_keys]
        drops += [f"DROP INDEX {name}" for name in [*mariadb_key_indexes, *(name for name, _ in old_indexes)]]
        adds = [f"ADD INDEX {name} ({', '.join(columns)})" for name, columns in new_indexes]
        adds += [f"ADD CONSTRAINT {name} FOREIGN KEY ({', '.join(columns)}) REFERENCES {quote(parent)}"
                 f" ({', '.join(parent_columns)})" for name, columns, parent, parent_columns in new_keys]
        if sold_or_held:
            adds.append(f"ADD CONSTRAINT {check_name} CHECK ({check})")
        else:
            drops.append(f"DROP CONSTRAINT {check_name}")
        op.execute("ALTER TABLE ticket " + ", ".join(drops))
        op.execute("ALTER TABLE ticket " + ", ".join(adds))
        return
    with op.batch_alter_table("ticket") as batch_op:
        if not sold_or_held:
            batch_op.drop_constraint(op.f(check_name), type_="check")
        for name, *_ in old_keys:
            batch_op.drop_constraint(name, type_="foreignkey")
        for name, _ in old_indexes:
            batch_op.drop_index(name)
        for name, columns in new_indexes:
            batch_op.create_index(name, columns)
        for name, columns, parent, parent_columns in new_keys:
            batch_op.create_foreign_key(name, parent, columns, parent_columns)
        if sold_or_held:
            batch_op.create_check_constraint(op.f(check_name), check)
