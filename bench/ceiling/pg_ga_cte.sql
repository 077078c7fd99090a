-- Ceiling, GA: the whole booking as ONE statement (data-modifying CTEs), autocommit, 1 round trip.
-- Adapted from ../shared/reference/pgbench/c_booking_cte.sql to the real Ticketbooth schema:
-- conditional decrement of the hot tier row, the order row, 1-4 ticket rows (same columns the service writes).
-- Variables (pgbench -D): ga (event_date id), ev (event id), tier, price, umin, umax (user id range).
\set q random(1, 4)
\set u random(:umin, :umax)
WITH inv AS (
    UPDATE event_date_has_ticket_type
       SET remaining_tickets = remaining_tickets - :q
     WHERE event_date_id = :ga AND ticket_type_id = :tier AND remaining_tickets >= :q
 RETURNING event_date_id, price_cents
), o AS (
    INSERT INTO "order" (user_id, event_date_id, customer_name, total_tickets, amount_cents, payment_source, created_at)
    SELECT :u, inv.event_date_id, 'Bench Buyer', :q, inv.price_cents * :q, 'card', now() AT TIME ZONE 'UTC' FROM inv
 RETURNING id, event_date_id, created_at
)
INSERT INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id, price_cents, to_name, created_at)
SELECT o.id, :u, :ev, o.event_date_id, :tier, NULL, :price, 'Bench Buyer', o.created_at
  FROM o, generate_series(1, :q);
