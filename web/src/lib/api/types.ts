/**
 * Names for the generated API types. Everything here is derived from
 * schema.d.ts (generated from the backend's OpenAPI document): no hand-written
 * copies of response shapes.
 */
import type { paths } from './schema';

type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Responses<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R } ? R : never;
type Ok<R> = R extends { 200: infer A } ? JsonOf<A> : R extends { 201: infer B } ? JsonOf<B> : never;
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: infer B }
  ? JsonOf<NonNullable<B>>
  : never;

export type EventSummary = Ok<Responses<'/api/events', 'get'>>[number];
export type EventDateSummary = EventSummary['dates'][number];
export type EventDateDetail = Ok<Responses<'/api/event-dates/{event_date_id}', 'get'>>;
export type Availability = Ok<Responses<'/api/event-dates/{event_date_id}/availability', 'get'>>;
export type GaAvailability = Extract<Availability, { seatingMode: 'GA' }>;
export type SeatedAvailability = Extract<Availability, { seatingMode: 'SEATED' }>;
export type Tier = GaAvailability['tiers'][number];
export type SeatSection = SeatedAvailability['sections'][number];
export type SeatRow = SeatSection['rows'][number];
export type Seat = SeatRow['seats'][number];
export type SeatingMode = EventDateDetail['seatingMode'];

export type BookingRequest = Body<'/api/bookings', 'post'>;
export type BookingResponse = Ok<Responses<'/api/bookings', 'post'>>;
export type Order = Ok<Responses<'/api/orders/{order_id}', 'get'>>;
export type OrderTicket = Order['tickets'][number];

export type SignupRequest = Body<'/api/signup', 'post'>;
export type LoginRequest = Body<'/api/login', 'post'>;
export type LoginResponse = Ok<Responses<'/api/login', 'post'>>;
export type User = Ok<Responses<'/api/me', 'get'>>;
export type SessionUser = LoginResponse['user'];

export type HoldRequest = Body<'/api/holds', 'post'>;
export type Hold = Ok<Responses<'/api/holds', 'post'>>;

/**
 * Messages of the live availability stream (Server-Sent Events; text/event-stream
 * is not described by the OpenAPI document, so they are spelled from the JSON
 * types above): a `snapshot` is the availability itself, a `change` carries the
 * current state of what changed.
 */
export type AvailabilitySnapshot = Availability & { type: 'snapshot' };
export type AvailabilityChange =
  | { type: 'change'; seatingMode: 'GA'; tiers: Tier[] }
  | { type: 'change'; seatingMode: 'SEATED'; seats: Pick<Seat, 'seatId' | 'status' | 'available'>[] };
