import { screen, waitFor, within } from '@testing-library/react';
import { demoUser, gaAvailability, gaDetail, seatedAvailability, seatedDetail } from '@/testing/fixtures';
import { apiError, json, mockApi } from '@/testing/mock-api';
import { renderApp, signIn } from '@/testing/render';

describe('GA tiers on the event date page', () => {
  it('shows tiers with price and remaining, and keeps a live total', async () => {
    mockApi({
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': () => json(gaAvailability({ VIP: 3 })),
    });
    const { user } = renderApp('/event-dates/1');
    const tiers = await screen.findByRole('list', { name: 'Ticket tiers' });
    expect(within(tiers).getAllByRole('listitem')).toHaveLength(3);
    expect(tiers).toHaveTextContent('$149.00 · 3 left');

    await user.click(screen.getByRole('button', { name: 'Add one VIP ticket' }));
    await user.click(screen.getByRole('button', { name: 'Add one General ticket' }));
    expect(screen.getByTestId('order-total')).toHaveTextContent('$198.50');
    await user.click(screen.getByRole('button', { name: 'Remove one VIP ticket' }));
    expect(screen.getByTestId('order-total')).toHaveTextContent('$49.50');
    expect(screen.getByRole('link', { name: 'Continue to checkout' })).toHaveAttribute('href', '/event-dates/1/checkout');
  });

  it('stops the stepper at what is left and at the per-order limit', async () => {
    mockApi({
      'GET /api/event-dates/1': () => json(gaDetail({ maxTicketsPerOrder: 4 })),
      'GET /api/event-dates/1/availability': () => json(gaAvailability({ VIP: 2 })),
    });
    const { user } = renderApp('/event-dates/1');
    const addVip = await screen.findByRole('button', { name: 'Add one VIP ticket' });
    await user.click(addVip);
    await user.click(addVip);
    expect(addVip).toBeDisabled();
    expect(screen.getByLabelText('VIP quantity')).toHaveValue(2);
    expect(screen.getByText("That's all the VIP tickets left.")).toBeInTheDocument();

    const addGa = screen.getByRole('button', { name: 'Add one General ticket' });
    await user.click(addGa);
    await user.click(addGa);
    expect(addGa).toBeDisabled(); // 2 VIP + 2 GA = the limit of 4
    await user.click(addGa);
    expect(screen.getByLabelText('General quantity')).toHaveValue(2);
    expect(screen.getByText('Up to 4 tickets per order.', { selector: 'p[id]' })).toBeInTheDocument();

    // Typing past the bounds is clamped too.
    const front = screen.getByLabelText('Front Row quantity');
    await user.clear(front);
    await user.type(front, '9');
    expect(front).toHaveValue(0);
    expect(screen.getByTestId('order-total')).toHaveTextContent(`$${(149 * 2 + 49.5 * 2).toFixed(2)}`);
  });

  it('shows a retry when availability cannot be loaded, and recovers', async () => {
    let fail = true;
    mockApi({
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': () => {
        if (fail) return Promise.reject(new TypeError('Failed to fetch'));
        return json(gaAvailability());
      },
    });
    const { user } = renderApp('/event-dates/1');
    expect(await screen.findByRole('heading', { name: 'Connection problem' })).toBeInTheDocument();
    fail = false;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('list', { name: 'Ticket tiers' })).toBeInTheDocument();
  });

  it('shows the 404 page for an unknown date', async () => {
    mockApi({
      'GET /api/event-dates/99': () => json({ error: 'NOT_FOUND', message: 'Event date 99 not found' }, 404),
      'GET /api/event-dates/99/availability': () => json({ error: 'NOT_FOUND', message: 'Event date 99 not found' }, 404),
    });
    renderApp('/event-dates/99');
    expect(await screen.findByRole('heading', { name: "We couldn't find that event date" })).toBeInTheDocument();
  });
});

describe('seat selection on the event date page', () => {
  it('lists chosen seats with prices, caps them at the order limit, and drops seats taken meanwhile', async () => {
    const { fetchMock } = mockApi({
      'GET /api/event-dates/2': () => json(seatedDetail({ maxTicketsPerOrder: 2 })),
      'GET /api/event-dates/2/availability': [() => json(seatedAvailability()), () => json(seatedAvailability(['A-1-1']))],
    });
    const { user, queryClient } = renderApp('/event-dates/2');
    const seat = async (name: string) => screen.findByRole('checkbox', { name: new RegExp(`^${name},`) });
    await user.click(await seat('Section A, row 1, seat 1'));
    await user.click(await seat('Section A, row 3, seat 1'));
    const list = screen.getByRole('list', { name: 'Selected tickets' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(screen.getByTestId('order-total')).toHaveTextContent('$165.00');

    await user.click(await seat('Section B, row 1, seat 1'));
    expect(screen.getByText(/up to 2 seats per order/)).toBeInTheDocument();
    expect(await seat('Section B, row 1, seat 1')).toHaveAttribute('aria-checked', 'false');

    // Fresh availability (the periodic refetch) says A-1-1 went to someone else.
    const calls = fetchMock.mock.calls.length;
    await queryClient.invalidateQueries({ queryKey: ['event-dates', 2, 'availability'], exact: true });
    expect(await screen.findByText(/Section A, row 1, seat 1 was just taken by someone else/)).toBeInTheDocument();
    expect(fetchMock.mock.calls.length).toBeGreaterThan(calls);
    expect(within(screen.getByRole('list', { name: 'Selected tickets' })).getAllByRole('listitem')).toHaveLength(1);
    expect(await seat('Section A, row 1, seat 1')).toHaveAttribute('aria-disabled', 'true');
    expect(screen.getByTestId('order-total')).toHaveTextContent('$45.00');
  });
});

describe('continuing to checkout places a hold', () => {
  it('holds the selection, then shows checkout with the countdown; going back releases it', async () => {
    signIn();
    const api = mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': () => json(gaAvailability()),
      'POST /api/holds': () =>
        json({ holdId: 5, eventDateId: 1, status: 'active', expiresAt: new Date(Date.now() + 600_000).toISOString(), totalAmount: 49.5, items: [], orderId: null }, 201),
      'DELETE /api/holds/5': () => new Response(null, { status: 204 }),
    });
    const { user, router } = renderApp('/event-dates/1');
    await user.click(await screen.findByRole('button', { name: 'Add one General ticket' }));
    await user.click(screen.getByRole('link', { name: 'Continue to checkout' }));
    expect(await screen.findByRole('timer')).toHaveTextContent(/^(10:00|09:5\d)$/);
    expect(router.state.location.pathname).toBe('/event-dates/1/checkout');
    expect(api.callsTo('POST', '/api/holds')).toHaveLength(1);
    expect(api.callsTo('POST', '/api/holds')[0]!.body).toMatchObject({ eventDateId: 1, tiers: [{ ticketTypeId: 3, quantity: 1 }] });

    await user.click(screen.getByRole('link', { name: /Back to tickets/ }));
    await screen.findByRole('list', { name: 'Ticket tiers' });
    await waitFor(() => expect(api.callsTo('DELETE', '/api/holds/5')).toHaveLength(1));
    expect(screen.getByLabelText('General quantity')).toHaveValue(1);
  });

  it('a 409 on the hold keeps the person on the map and says what is left', async () => {
    signIn();
    mockApi({
      'GET /api/me': () => json(demoUser),
      'GET /api/event-dates/1': () => json(gaDetail()),
      'GET /api/event-dates/1/availability': [() => json(gaAvailability({ VIP: 3 })), () => json(gaAvailability({ VIP: 1 }))],
      'POST /api/holds': () => apiError(409, 'INSUFFICIENT_INVENTORY', 'Not enough tickets left for VIP.'),
    });
    const { user, router } = renderApp('/event-dates/1');
    await user.click(await screen.findByRole('button', { name: 'Add one VIP ticket' }));
    await user.click(screen.getByRole('button', { name: 'Add one VIP ticket' }));
    await user.click(screen.getByRole('link', { name: 'Continue to checkout' }));
    expect(await screen.findByText(/There is only 1 VIP ticket left/)).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/event-dates/1');
    expect(screen.getByLabelText('VIP quantity')).toHaveValue(1);
  });
});

describe('our own hold on the live map', () => {
  it('does not report seats held by our own hold as taken by someone else', async () => {
    const { storeHold, forgetHold } = await import('@/features/booking/api/holds');
    mockApi({
      'GET /api/event-dates/2': () => json(seatedDetail()),
      'GET /api/event-dates/2/availability': [() => json(seatedAvailability()), () => json(seatedAvailability(['A-1-1']))],
    });
    const { user, queryClient } = renderApp('/event-dates/2');
    await user.click(await screen.findByRole('checkbox', { name: /^Section A, row 1, seat 1,/ }));
    const selection = within(screen.getByRole('list', { name: 'Selected tickets' }));
    expect(selection.getAllByRole('listitem')).toHaveLength(1);

    // The hold for exactly this selection is ours; the live map then shows the seat as held.
    const seatId = seatedAvailability().sections[0]!.rows[0]!.seats[0]!.seatId;
    storeHold(2, { holdId: 9, expiresAt: '2099-01-01T00:00:00Z' } as never, { kind: 'SEATED', seatIds: [seatId] });
    try {
      await queryClient.invalidateQueries({ queryKey: ['event-dates', 2, 'availability'], exact: true });
      await waitFor(() =>
        expect(screen.getByRole('checkbox', { name: /^Section A, row 1, seat 1,/ })).toHaveAttribute('aria-disabled', 'true'),
      );
      expect(screen.queryByText(/just taken by someone else/)).not.toBeInTheDocument();
      expect(within(screen.getByRole('list', { name: 'Selected tickets' })).getAllByRole('listitem')).toHaveLength(1);
    } finally {
      forgetHold(2);
    }
  });
});

describe('find seats for me', () => {
  const heldSeats = (ids: number[]) => ({
    holdId: 41,
    eventDateId: 2,
    status: 'active',
    expiresAt: '2099-01-01T00:00:00Z',
    totalAmount: 120 * ids.length,
    orderId: null,
    items: ids.map((seatId, i) => ({ ticketTypeId: 1, ticketType: 'VIP', quantity: 1, price: 120, seatId, seatLabel: `B-1-${i + 1}` })),
  });

  it('asks the box office for seats side by side, holds them and goes on to checkout with them', async () => {
    const { readDraft } = await import('@/features/booking/draft');
    const { forgetHold, readStoredHold } = await import('@/features/booking/api/holds');
    signIn();
    const api = mockApi({
      'GET /api/event-dates/2': () => json(seatedDetail()),
      'GET /api/event-dates/2/availability': () => json(seatedAvailability(['A-3-1'])),
      'POST /api/holds': () => json(heldSeats([13, 14, 15]), 201),
    });
    const { user, router } = renderApp('/event-dates/2');
    const form = within(await screen.findByRole('form', { name: 'Find seats for me' }));
    await user.selectOptions(form.getByLabelText('Seats'), '3');
    await user.selectOptions(form.getByLabelText('Section'), 'B');
    await user.selectOptions(form.getByLabelText('Price'), 'VIP · $120.00');
    await user.click(form.getByRole('button', { name: 'Find seats together' }));

    await waitFor(() => expect(router.state.location.pathname).toBe('/event-dates/2/checkout'));
    const hold = api.calls.find((c) => c.method === 'POST' && c.path === '/api/holds')!;
    expect(hold.body).toMatchObject({ eventDateId: 2, customerName: 'Dana Demo', pickSeats: { quantity: 3, ticketTypeId: 1, section: 'B' } });
    expect(readDraft(2)).toEqual({ kind: 'SEATED', seatIds: [13, 14, 15] });
    expect(readStoredHold(2)?.holdId).toBe(41);
    forgetHold(2);
  });

  it('says so when no such seats are left, and stays', async () => {
    signIn();
    mockApi({
      'GET /api/event-dates/2': () => json(seatedDetail()),
      'GET /api/event-dates/2/availability': () => json(seatedAvailability()),
      'POST /api/holds': () => apiError(409, 'INSUFFICIENT_INVENTORY', 'No 4 seats side by side are left in section A.'),
    });
    const { user, router } = renderApp('/event-dates/2');
    const form = within(await screen.findByRole('form', { name: 'Find seats for me' }));
    await user.selectOptions(form.getByLabelText('Seats'), '4');
    await user.click(form.getByRole('button', { name: 'Find seats together' }));

    expect(await form.findByText('No 4 seats side by side are left in section A.')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/event-dates/2');
  });

  it('offers to log in first, and only tiers and sections with a seat left', async () => {
    const taken = ['A', 'B'].flatMap((s) => [1, 2, 3, 4].map((n) => `${s}-1-${n}`)); // every VIP seat
    mockApi({
      'GET /api/event-dates/2': () => json(seatedDetail()),
      'GET /api/event-dates/2/availability': () => json(seatedAvailability(taken)),
    });
    renderApp('/event-dates/2');
    const form = within(await screen.findByRole('form', { name: 'Find seats for me' }));
    expect(form.getByRole('link', { name: 'Log in to have seats picked' })).toHaveAttribute('href', '/login?returnTo=%2Fevent-dates%2F2');
    const prices = within(form.getByLabelText('Price')).getAllByRole('option').map((o) => o.textContent);
    expect(prices).toEqual(['Any', 'Front Row · $80.00', 'General · $45.00']);
  });
});
