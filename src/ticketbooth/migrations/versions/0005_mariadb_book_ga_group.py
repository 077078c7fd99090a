"""MariaDB/MySQL: the procedure book_ga_group, a GA group's write after its orders in one call (booking/repository.py).

A GA group was four statements after the transaction began (the orders, the tickets, the change row, one UPDATE per
tier); each costs the server process a round trip through the driver, and py-spy put them at a fifth of a worker's
time. The caller inserts the orders (one multi-row INSERT returning their ids) and CALLs this for the rest, then
COMMITs. The orders stay outside: inserted one by one inside a procedure (to learn each id) they cost MariaDB a
third more CPU per booking than the multi-row INSERT (docs/benchmarks.md, "Seventh round").

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# p_order_ids: [order_id], the group's orders, inserted by the caller in this transaction (one multi-row INSERT).
# p_tickets: [[ord, user_id, ticket_type_id, seat_id, price_cents, to_name]] as book_seat_group takes them (seat_id
# null), ord being the 1-based position of the ticket's order in p_order_ids.
# Steps, all in the caller's transaction: insert the tickets in the order given (their ids ascend in it); log the
# sale; then take each tier's total with the conditional UPDATE, tiers in id order (no deadlock between groups),
# last so that the hot rows stay locked only from here to the COMMIT. When a tier has too few left, nothing more is
# taken and no row comes back: the caller rolls the transaction back. Otherwise every ticket comes back as
# (ord, order_id, id, ticket_type_id, seat_id).
_BOOK_GA_GROUP = """
CREATE PROCEDURE book_ga_group(
    IN p_show INT, IN p_event INT, IN p_kind VARCHAR(16), IN p_now DATETIME(6), IN p_order_ids LONGTEXT,
    IN p_tickets LONGTEXT CHARACTER SET utf8mb4)
    MODIFIES SQL DATA
BEGIN
    DECLARE v_tier, v_wanted INT;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_short BOOLEAN DEFAULT FALSE;
    DECLARE v_tiers CURSOR FOR
        SELECT w.ticket_type_id, count(*)
          FROM JSON_TABLE(p_tickets, '$[*]' COLUMNS (ticket_type_id INT PATH '$[2]')) AS w
         GROUP BY w.ticket_type_id
         ORDER BY w.ticket_type_id;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;

    INSERT INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id, price_cents, to_name,
                        created_at)
    SELECT ids.id, t.user_id, p_event, p_show, t.ticket_type_id, NULL, t.price_cents, t.to_name, p_now
      FROM JSON_TABLE(p_tickets, '$[*]' COLUMNS (
               n FOR ORDINALITY, ord INT PATH '$[0]', user_id INT PATH '$[1]', ticket_type_id INT PATH '$[2]',
               price_cents INT PATH '$[4]', to_name VARCHAR(200) CHARACTER SET utf8mb4 PATH '$[5]')) AS t
      JOIN JSON_TABLE(p_order_ids, '$[*]' COLUMNS (ord FOR ORDINALITY, id BIGINT PATH '$')) AS ids
        ON ids.ord = t.ord
     ORDER BY t.n;

    INSERT INTO availability_change (event_date_id, kind, seat_ids, created_at) VALUES (p_show, p_kind, NULL, p_now);

    OPEN v_tiers;
    take_tiers: LOOP
        FETCH v_tiers INTO v_tier, v_wanted;
        IF v_done THEN
            LEAVE take_tiers;
        END IF;
        UPDATE event_date_has_ticket_type SET remaining_tickets = remaining_tickets - v_wanted
         WHERE event_date_id = p_show AND ticket_type_id = v_tier AND remaining_tickets >= v_wanted;
        IF ROW_COUNT() = 0 THEN
            SET v_short = TRUE;
            LEAVE take_tiers;
        END IF;
    END LOOP;
    CLOSE v_tiers;

    SELECT ids.ord, ticket.order_id, ticket.id, ticket.ticket_type_id, ticket.seat_id
      FROM JSON_TABLE(p_order_ids, '$[*]' COLUMNS (ord FOR ORDINALITY, id BIGINT PATH '$')) AS ids
      JOIN ticket ON ticket.order_id = ids.id
     WHERE NOT v_short
     ORDER BY ids.ord, ticket.id;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.execute(_BOOK_GA_GROUP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.execute("DROP PROCEDURE book_ga_group")
