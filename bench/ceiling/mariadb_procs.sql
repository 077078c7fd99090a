-- Ceiling procedures for MariaDB, on the real Ticketbooth schema (created in the ceiling database only).
-- MariaDB has no data-modifying CTEs: one CALL = one round trip = one whole booking, committed inside the CALL,
-- as in ../shared/reference/ceilings-mariadb-sqlite.md. Statements are separated by lines holding only "$$".
CREATE PROCEDURE bench_book_ga(IN p_e INT, IN p_ev INT, IN p_t INT, IN p_qty INT, IN p_user INT)
BEGIN
  DECLARE v_order BIGINT;
  DECLARE v_price INT;
  START TRANSACTION;
  UPDATE event_date_has_ticket_type
     SET remaining_tickets = remaining_tickets - p_qty
   WHERE event_date_id = p_e AND ticket_type_id = p_t AND remaining_tickets >= p_qty;
  IF ROW_COUNT() = 0 THEN
    ROLLBACK;
  ELSE
    SELECT price_cents INTO v_price FROM event_date_has_ticket_type WHERE event_date_id = p_e AND ticket_type_id = p_t;
    INSERT INTO `order` (user_id, event_date_id, customer_name, total_tickets, amount_cents, payment_source, created_at)
    VALUES (p_user, p_e, 'Bench Buyer', p_qty, v_price * p_qty, 'card', UTC_TIMESTAMP(6));
    SET v_order = LAST_INSERT_ID();
    INSERT INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id, price_cents, to_name, created_at)
    SELECT v_order, p_user, p_ev, p_e, p_t, NULL, v_price, 'Bench Buyer', UTC_TIMESTAMP(6) FROM seq_1_to_4 WHERE seq <= p_qty;
    COMMIT;
  END IF;
END
$$
CREATE PROCEDURE bench_book_seated(IN p_e INT, IN p_ev INT, IN p_t INT, IN p_price INT, IN p_first INT, IN p_n INT, IN p_user INT)
BEGIN
  DECLARE v_order BIGINT;
  START TRANSACTION;
  INSERT INTO `order` (user_id, event_date_id, customer_name, total_tickets, amount_cents, payment_source, created_at)
  VALUES (p_user, p_e, 'Bench Buyer', p_n, p_price * p_n, 'card', UTC_TIMESTAMP(6));
  SET v_order = LAST_INSERT_ID();
  INSERT IGNORE INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id, price_cents, to_name, created_at)
  SELECT v_order, p_user, p_ev, p_e, p_t, p_first + seq - 1, p_price, 'Bench Buyer', UTC_TIMESTAMP(6) FROM seq_1_to_4 WHERE seq <= p_n;
  COMMIT;
END
