import { screen, waitFor, within } from '@testing-library/react';
import { writeDraft } from '@/features/booking/draft';
import { gaAvailability, gaDetail, seatedAvailability, seatedDetail } from '@/testing/fixtures';
import { apiError, json, mockApi } from '@/testing/mock-api';
import { renderApp, signIn } from '@/testing/render';
import { demoUser } from '@/testing/fixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const order = {
  id: 41,
  createdAt: '2026-11-25T14:00:00Z',
  customerName: 'Dana Demo',
  totalAmount: 165,
  tickets: [
    { id: 1, eventTitle: 'Northern Lights Festival', eventDate: '2026-12-10T19:00:00Z', ticketType: 'VIP', seatLabel: 'A-1-1' },
    { id: 2, eventTitle: 'Northern Lights Festival', eventDate: '2026-12-10T19:00:00Z', ticketType: 'GA', seatLabel: 'A-3-1' },
  ],
};

function hold(holdId = 7, overrides: Record<string, unknown> = {}) {
  return {
    holdId,
    eventDateId: 2,
    status: 'active',
    expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    totalAmount: 165,
    items: [],
    orderId: null,
    ...overrides,
  };
}
const placed = (holdId = 7, overrides: Record<string, unknown> = {}) => () => json(hold(holdId, overrides), 201);

beforeEach(() => signIn());

describe('checkout', () => {
  it('books with one Idempotency-Key per attempt, and a double click books once', async () => {
    writeDraft(2, { kind: 'SEATED', seatIds: [1, 9] });
    const api = mockApi({
      'GET /api/me': () => json({ ...demoUser, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' }),
      'GET /api/event-dates/2': () => json(seatedDetail()),
      'GET /api/event-dates/2/availability': () => json(seatedAvailability()),
      'POST /api/holds': placed(7),
      'POST /api/bookings': () => json({ orderId: 41, totalAmount: 165, tickets: [] }, 201),
      'GET /api/orders/41': () => json(order),
    });
    const { user } = renderApp('/event-dates/2/checkout');
    const name = await screen.findByLabelText('Name on the tickets');
    expect(name).toHaveValue('Dana Demo');
    const pay = await screen.findByRole('button', { name: 'Pay $165.00' });
    expect(screen.getByRole('timer')).toHaveTextContent(/^(10:00|09:5\d)$/);
    await user.dblClick(pay);

    expect(await screen.findByRole('heading', { name: 'Booking confirmed' })).toBeInTheDocument();
    const posts = api.callsTo('POST', '/api/bookings');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers.get('Idempotency-Key')).toMatch(UUID);
    expect(posts[0]!.headers.get('Authorization')).toBe('Bearer test-token');
    expect(posts[0]!.body).toEqual({
      eventDateId: 2,
      customerName: 'Dana Demo',
      paymentSource: 'tok_visa',
      holdId: 7,
    });
    expect(api.callsTo('POST', '/api/holds')[0]!.body).toMatchObject({ eventDateId: 2, seats: [{ seatId: 1 }, { seatId: 9 }] });
    expect(within(screen.getByRole('list', { name: 'Tickets' })).getAllByRole('listitem')).toHaveLength(2);
    expect(sessionStorage.getItem('ticketbooth.draft.2')).toBeNull();
    expect(sessionStorage.getItem('ticketbooth.hold.2')).toBeNull();
  });

  it('on SEAT_ALREADY_TAKEN: says so, refreshes the map and drops only the lost seat', async () => {
    writeDraft(2, { kind: 'SEATED', seatIds: [1, 9] });
    mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/2': () => json(seatedDetail()),
      'GET /api/event-dates/2/availability': [() => json(seatedAvailability()), () => json(seatedAvailability(['A-1-1']))],
      'POST /api/holds': placed(7),
      'POST /api/bookings': () => apiError(409, 'SEAT_ALREADY_TAKEN', 'One or more selected seats are no longer available.'),
    });
    const { user, router } = renderApp('/event-dates/2/checkout');
    await user.click(await screen.findByRole('button', { name: 'Pay $165.00' }));

    expect(await screen.findByText('A seat you picked was just taken')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/event-dates/2');
    expect(await screen.findByText(/Section A, row 1, seat 1 was booked by someone else/)).toBeInTheDocument();
    const list = screen.getByRole('list', { name: 'Selected tickets' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(1);
    expect(list).toHaveTextContent('A · Row 3 · Seat 1');
    const lost = screen.getByRole('checkbox', { name: /^Section A, row 1, seat 1,/ });
    expect(lost).toHaveAttribute('aria-disabled', 'true');
    expect(lost).toHaveAttribute('aria-checked', 'false');
  });

  it('on INSUFFICIENT_INVENTORY: shows what is left and lowers the quantity', async () => {
    writeDraft(1, { kind: 'GA', quantities: { 1: 3 } });
    mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': [() => json(gaAvailability({ VIP: 3 })), () => json(gaAvailability({ VIP: 2 }))],
      'POST /api/holds': placed(7),
      'POST /api/bookings': () => apiError(409, 'INSUFFICIENT_INVENTORY', 'Not enough tickets left for VIP.'),
    });
    const { user } = renderApp('/event-dates/1/checkout');
    await user.click(await screen.findByRole('button', { name: 'Pay $447.00' }));
    expect(await screen.findByText('Not enough tickets left for VIP.')).toBeInTheDocument();
    expect(await screen.findByText(/There are only 2 VIP tickets left/)).toBeInTheDocument();
    expect(screen.getByLabelText('VIP quantity')).toHaveValue(2);
    expect(screen.getByTestId('order-total')).toHaveTextContent('$298.00');
  });

  it('on a dropped connection: offers a retry that reuses the key; a final error renews it', async () => {
    writeDraft(1, { kind: 'GA', quantities: { 3: 1 } });
    const api = mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': () => json(gaAvailability()),
      'POST /api/holds': placed(7),
      'POST /api/bookings': [
        () => Promise.reject(new TypeError('Failed to fetch')),
        () => apiError(422, 'ORDER_LIMIT_EXCEEDED', 'At most 6 tickets per order.'),
        () => json({ orderId: 41, totalAmount: 49.5, tickets: [] }, 201),
      ],
      'GET /api/orders/41': () => json(order),
    });
    const { user } = renderApp('/event-dates/1/checkout');
    await user.click(await screen.findByRole('button', { name: 'Pay $49.50' }));
    expect(await screen.findByText('The connection dropped')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('At most 6 tickets per order.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Pay $49.50' }));
    expect(await screen.findByRole('heading', { name: 'Booking confirmed' })).toBeInTheDocument();

    const keys = api.callsTo('POST', '/api/bookings').map((c) => c.headers.get('Idempotency-Key'));
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[1]);
  });

  it('asks for the name on the tickets', async () => {
    writeDraft(1, { kind: 'GA', quantities: { 3: 1 } });
    const api = mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': () => json(gaAvailability()),
      'POST /api/holds': placed(7),
    });
    const { user } = renderApp('/event-dates/1/checkout');
    await screen.findByRole('button', { name: 'Pay $49.50' });
    await user.clear(await screen.findByLabelText('Name on the tickets'));
    await user.click(screen.getByRole('button', { name: 'Pay $49.50' }));
    expect(screen.getByLabelText('Name on the tickets')).toHaveAccessibleDescription('Enter the name to print on the tickets.');
    expect(api.callsTo('POST', '/api/bookings')).toHaveLength(0);
  });

  it('pays with the hold that the event date page placed, and shows its countdown', async () => {
    writeDraft(1, { kind: 'GA', quantities: { 3: 2 } });
    sessionStorage.setItem(
      'ticketbooth.hold.1',
      JSON.stringify({ holdId: 12, expiresAt: new Date(Date.now() + 125_000).toISOString(), draftKey: JSON.stringify(['GA', [['3', 2]]]) }),
    );
    const api = mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': () => json(gaAvailability()),
      'POST /api/bookings': () => json({ orderId: 41, totalAmount: 99, tickets: [] }, 201),
      'GET /api/orders/41': () => json(order),
    });
    const { user } = renderApp('/event-dates/1/checkout');
    const timer = await screen.findByRole('timer');
    expect(timer).toHaveTextContent(/^02:0[45]$/);
    await user.click(screen.getByRole('button', { name: 'Pay $99.00' }));
    expect(await screen.findByRole('heading', { name: 'Booking confirmed' })).toBeInTheDocument();
    expect(api.callsTo('POST', '/api/holds')).toHaveLength(0);
    const post = api.callsTo('POST', '/api/bookings')[0]!;
    expect(post.body).toEqual({ eventDateId: 1, customerName: 'Dana Demo', paymentSource: 'tok_visa', holdId: 12 });
    expect(post.headers.get('Idempotency-Key')).toMatch(UUID);
  });

  it('when the countdown runs out: says the hold expired and stops payment', async () => {
    writeDraft(1, { kind: 'GA', quantities: { 3: 1 } });
    const api = mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': () => json(gaAvailability()),
      'POST /api/holds': [placed(7, { expiresAt: new Date(Date.now() + 1500).toISOString() }), placed(8)],
    });
    const { user } = renderApp('/event-dates/1/checkout');
    expect(await screen.findByRole('timer')).toHaveTextContent(/^00:0[12]$/);
    expect(await screen.findByText('Your hold expired and the seats were released', {}, { timeout: 4000 })).toBeInTheDocument();
    expect(screen.queryByRole('timer')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Pay $49.50' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Renew hold' }));
    expect(await screen.findByRole('timer')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Pay $49.50' })).toBeEnabled();
    expect(api.callsTo('POST', '/api/holds')).toHaveLength(2);
    expect(api.callsTo('POST', '/api/holds')[1]!.body).toMatchObject({ eventDateId: 1, tiers: [{ ticketTypeId: 3, quantity: 1 }] });
  });

  it('on HOLD_EXPIRED: explains, renews the hold with the same items and books with the new hold', async () => {
    writeDraft(1, { kind: 'GA', quantities: { 3: 1 } });
    const api = mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': () => json(gaAvailability()),
      'POST /api/holds': [placed(7), placed(8)],
      'POST /api/bookings': [
        () => apiError(409, 'HOLD_EXPIRED', 'This hold has expired.'),
        () => json({ orderId: 41, totalAmount: 49.5, tickets: [] }, 201),
      ],
      'GET /api/orders/41': () => json(order),
    });
    const { user } = renderApp('/event-dates/1/checkout');
    await user.click(await screen.findByRole('button', { name: 'Pay $49.50' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Your hold expired and the seats were released');
    await user.click(within(alert).getByRole('button', { name: 'Renew hold' }));
    await user.click(await screen.findByRole('button', { name: 'Pay $49.50' }));
    expect(await screen.findByRole('heading', { name: 'Booking confirmed' })).toBeInTheDocument();

    const holds = api.callsTo('POST', '/api/holds');
    expect(holds).toHaveLength(2);
    expect(holds[1]!.body).toEqual(holds[0]!.body);
    const posts = api.callsTo('POST', '/api/bookings');
    expect(posts.map((p) => (p.body as { holdId: number }).holdId)).toEqual([7, 8]);
    expect(posts[1]!.headers.get('Idempotency-Key')).not.toBe(posts[0]!.headers.get('Idempotency-Key'));
  });

  it('renewing when a seat is gone meanwhile: says which and goes back to the map with the rest', async () => {
    writeDraft(2, { kind: 'SEATED', seatIds: [1, 9] });
    mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/2': () => json(seatedDetail()),
      'GET /api/event-dates/2/availability': [() => json(seatedAvailability()), () => json(seatedAvailability(['A-1-1']))],
      'POST /api/holds': [placed(7), () => apiError(409, 'SEAT_ALREADY_TAKEN', 'One or more selected seats are no longer available.')],
      'POST /api/bookings': () => apiError(409, 'HOLD_EXPIRED', 'This hold has expired.'),
    });
    const { user, router } = renderApp('/event-dates/2/checkout');
    await user.click(await screen.findByRole('button', { name: 'Pay $165.00' }));
    await user.click(await screen.findByRole('button', { name: 'Renew hold' }));
    expect(await screen.findByText(/Section A, row 1, seat 1 was booked by someone else/)).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/event-dates/2');
    expect(within(screen.getByRole('list', { name: 'Selected tickets' })).getAllByRole('listitem')).toHaveLength(1);
  });

  it('sends a signed-out person to log in, with a way back', async () => {
    localStorage.clear();
    writeDraft(1, { kind: 'GA', quantities: { 3: 1 } });
    mockApi({});
    const { router } = renderApp('/event-dates/1/checkout');
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe('?returnTo=%2Fevent-dates%2F1%2Fcheckout');
  });
});
