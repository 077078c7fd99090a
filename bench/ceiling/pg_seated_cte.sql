-- Ceiling, seated: order + 1-4 tickets for adjacent seats as ONE statement, autocommit, 1 round trip.
-- Adapted from ../shared/reference/pgbench/e2_seated_booking_cte.sql to the real Ticketbooth schema.
-- Seats are drawn uniformly from a large pool (smin..smax, real seat rows) so that almost all succeed: this is the
-- database's capacity for successful seat bookings. ON CONFLICT DO NOTHING keeps the rare collision from aborting
-- the pgbench client (the service instead rolls the whole order back).
-- Variables (pgbench -D): sd (event_date id), sev (its event id), tier, price, smin, smax, umin, umax.
\set n random(1, 4)
\set s random(:smin, :smax - 3)
\set u random(:umin, :umax)
WITH o AS (
    INSERT INTO "order" (user_id, event_date_id, customer_name, total_tickets, amount_cents, payment_source, created_at)
    VALUES (:u, :sd, 'Bench Buyer', :n, :price * :n, 'card', now() AT TIME ZONE 'UTC')
 RETURNING id, created_at
)
INSERT INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id, price_cents, to_name, created_at)
SELECT o.id, :u, :sev, :sd, :tier, s, :price, 'Bench Buyer', o.created_at
  FROM o, generate_series(:s, :s + :n - 1) AS s
ON CONFLICT (event_date_id, seat_id) DO NOTHING;
