"""MariaDB/MySQL: the procedure book_seat_group, a seat group's whole write in one call (booking/repository.py).

A seat group was four statements after the transaction began (the seat read, the orders, the tickets, the change
row) and more when an order came out short. The procedure runs them inside the caller's transaction: the caller
sends CALL and COMMIT. The other dialects have no procedure (PostgreSQL books a seat group in one statement).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# p_orders: [[user_id, customer_name, total_tickets, amount_cents, payment_source, idempotency_key, request_hash]]
# p_tickets: [[ord, user_id, ticket_type_id, seat_id, price_cents, to_name]], ord being the 1-based position of the
# order.
# Steps, all in the caller's transaction: drop the rows of expired holds on the wanted seats; insert, in order, the
# orders none of whose seats has a ticket row (sold or held), keeping their ids by position in v_ids (0: refused);
# insert their tickets in seat order (one lock order across concurrent groups), skipping seats taken meanwhile;
# when fewer went in than those orders hold, delete the orders left short; log the seats sold; return the booked orders' tickets as (ord, order_id, id,
# ticket_type_id, seat_id). An order that comes back without rows was refused.
_BOOK_SEAT_GROUP = """
CREATE PROCEDURE book_seat_group(
    IN p_show INT, IN p_event INT, IN p_kind VARCHAR(16), IN p_now DATETIME(6),
    IN p_orders LONGTEXT CHARACTER SET utf8mb4, IN p_tickets LONGTEXT CHARACTER SET utf8mb4)
    MODIFIES SQL DATA
BEGIN
    DECLARE v_ord, v_user_id, v_total INT;
    DECLARE v_amount BIGINT;
    DECLARE v_name VARCHAR(200) CHARACTER SET utf8mb4;
    DECLARE v_source VARCHAR(100) CHARACTER SET utf8mb4;
    DECLARE v_key VARCHAR(128) CHARACTER SET utf8mb4;
    DECLARE v_hash VARCHAR(64) CHARACTER SET utf8mb4;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_ids LONGTEXT DEFAULT '';
    DECLARE v_short LONGTEXT;
    DECLARE v_expected INT DEFAULT 0;
    DECLARE v_refused TEXT;
    DECLARE v_orders CURSOR FOR
        SELECT o.ord, o.user_id, o.customer_name, o.total_tickets, o.amount_cents, o.payment_source,
               o.idempotency_key, o.request_hash
          FROM JSON_TABLE(p_orders, '$[*]' COLUMNS (
                   ord FOR ORDINALITY, user_id INT PATH '$[0]',
                   customer_name VARCHAR(200) CHARACTER SET utf8mb4 PATH '$[1]', total_tickets INT PATH '$[2]',
                   amount_cents BIGINT PATH '$[3]', payment_source VARCHAR(100) CHARACTER SET utf8mb4 PATH '$[4]',
                   idempotency_key VARCHAR(128) CHARACTER SET utf8mb4 PATH '$[5]',
                   request_hash VARCHAR(64) CHARACTER SET utf8mb4 PATH '$[6]')) AS o
         ORDER BY o.ord;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;

    DELETE ticket FROM ticket
      JOIN JSON_TABLE(p_tickets, '$[*]' COLUMNS (seat_id INT PATH '$[3]')) AS w ON w.seat_id = ticket.seat_id
      JOIN hold ON hold.id = ticket.hold_id
     WHERE ticket.event_date_id = p_show AND ticket.order_id IS NULL AND hold.expires_at <= p_now;

    SELECT GROUP_CONCAT(DISTINCT w.ord) INTO v_refused
      FROM JSON_TABLE(p_tickets, '$[*]' COLUMNS (ord INT PATH '$[0]', seat_id INT PATH '$[3]')) AS w
      JOIN ticket ON ticket.event_date_id = p_show AND ticket.seat_id = w.seat_id;

    OPEN v_orders;
    read_orders: LOOP
        FETCH v_orders INTO v_ord, v_user_id, v_name, v_total, v_amount, v_source, v_key, v_hash;
        IF v_done THEN
            LEAVE read_orders;
        END IF;
        IF v_refused IS NULL OR FIND_IN_SET(v_ord, v_refused) = 0 THEN
            INSERT INTO `order` (user_id, event_date_id, customer_name, total_tickets, amount_cents, payment_source,
                                 idempotency_key, request_hash, created_at)
            VALUES (v_user_id, p_show, v_name, v_total, v_amount, v_source, v_key, v_hash, p_now);
            SET v_ids = CONCAT(v_ids, ',', LAST_INSERT_ID()), v_expected = v_expected + v_total;
        ELSE
            SET v_ids = CONCAT(v_ids, ',0');
        END IF;
    END LOOP;
    CLOSE v_orders;
    SET v_ids = CONCAT('[', SUBSTRING(v_ids, 2), ']');

    INSERT IGNORE INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id, price_cents,
                               to_name, created_at)
    SELECT ids.id, t.user_id, p_event, p_show, t.ticket_type_id, t.seat_id, t.price_cents, t.to_name, p_now
      FROM JSON_TABLE(p_tickets, '$[*]' COLUMNS (
               ord INT PATH '$[0]', user_id INT PATH '$[1]', ticket_type_id INT PATH '$[2]', seat_id INT PATH '$[3]',
               price_cents INT PATH '$[4]', to_name VARCHAR(200) CHARACTER SET utf8mb4 PATH '$[5]')) AS t
      JOIN JSON_TABLE(v_ids, '$[*]' COLUMNS (ord FOR ORDINALITY, id BIGINT PATH '$')) AS ids ON ids.ord = t.ord
     WHERE ids.id > 0
     ORDER BY t.seat_id;

    IF ROW_COUNT() < v_expected THEN
        SELECT JSON_ARRAYAGG(ids.id) INTO v_short
          FROM JSON_TABLE(v_ids, '$[*]' COLUMNS (ord FOR ORDINALITY, id BIGINT PATH '$')) AS ids
          JOIN JSON_TABLE(p_orders, '$[*]' COLUMNS (ord FOR ORDINALITY, total_tickets INT PATH '$[2]')) AS o
            ON o.ord = ids.ord
         WHERE ids.id > 0 AND (SELECT count(*) FROM ticket WHERE ticket.order_id = ids.id) < o.total_tickets;
        DELETE ticket FROM ticket
          JOIN JSON_TABLE(v_short, '$[*]' COLUMNS (id BIGINT PATH '$')) AS lost ON lost.id = ticket.order_id;
        DELETE `order` FROM `order`
          JOIN JSON_TABLE(v_short, '$[*]' COLUMNS (id BIGINT PATH '$')) AS lost ON lost.id = `order`.id;
    END IF;

    INSERT INTO availability_change (event_date_id, kind, seat_ids, created_at)
    SELECT p_show, p_kind, JSON_ARRAYAGG(ticket.seat_id ORDER BY ticket.seat_id), p_now
      FROM ticket JOIN JSON_TABLE(v_ids, '$[*]' COLUMNS (id BIGINT PATH '$')) AS ids ON ids.id = ticket.order_id
    HAVING count(*) > 0;

    SELECT ids.ord, ticket.order_id, ticket.id, ticket.ticket_type_id, ticket.seat_id
      FROM JSON_TABLE(v_ids, '$[*]' COLUMNS (ord FOR ORDINALITY, id BIGINT PATH '$')) AS ids
      JOIN ticket ON ticket.order_id = ids.id
     ORDER BY ids.ord, ticket.id;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.execute(_BOOK_SEAT_GROUP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.execute("DROP PROCEDURE book_seat_group")
