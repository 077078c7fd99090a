import { expect, test, type Page } from '@playwright/test';
import { findEventDateId, freeSeats, loginViaApi } from './helpers';

async function newCustomer(request: import('@playwright/test').APIRequestContext) {
  const email = `rival-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const res = await request.post('/api/signup', {
    data: { firstName: 'Riley', lastName: 'Rival', email, password: 'rival-pass-123' },
  });
  expect(res.status()).toBe(201);
  return { email, password: 'rival-pass-123' };
}

function seatPrefix(label: string) {
  return label.split(', ').slice(0, 3).join(', ');
}

async function pick(page: Page, prefix: string) {
  const seat = page.locator(`svg [role="checkbox"][aria-label^="${prefix},"]`);
  await seat.click();
  await expect(seat).toHaveAttribute('aria-checked', 'true');
}

test('two people go to checkout with the same seat at once: exactly one holds it, the other is told and keeps the rest', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const seatedId = await findEventDateId(request, 'SEATED');
  const rival = await newCustomer(request);

  const ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await loginViaApi(ctxA, request);
  await loginViaApi(ctxB, request, rival);
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();

  for (const p of [a, b]) {
    await p.goto(`/event-dates/${seatedId}`);
    await p.getByRole('button', { name: 'Section E' }).click();
  }
  const free = freeSeats(a, 'E');
  const contested = seatPrefix((await free.nth(0).getAttribute('aria-label'))!);
  const extraA = seatPrefix((await free.nth(5).getAttribute('aria-label'))!);
  const extraB = seatPrefix((await free.nth(10).getAttribute('aria-label'))!);

  await pick(a, contested);
  await pick(a, extraA);
  await pick(b, contested);
  await pick(b, extraB);

  // Both press Continue at the same moment: each asks for a hold.
  await Promise.all([
    a.getByRole('link', { name: 'Continue to checkout' }).click(),
    b.getByRole('link', { name: 'Continue to checkout' }).click(),
  ]);

  const outcome = async (p: Page) => {
    const won = p.getByRole('timer');
    const lost = p.getByRole('alert').filter({ hasText: 'just taken' });
    await expect(won.or(lost)).toBeVisible({ timeout: 20_000 });
    return (await won.isVisible()) ? 'won' : 'lost';
  };
  const results = [await outcome(a), await outcome(b)];
  expect([...results].sort()).toEqual(['lost', 'won']);

  const winner = results[0] === 'won' ? a : b;
  const loser = winner === a ? b : a;
  const loserExtra = loser === a ? extraA : extraB;
  // The loser is on the refreshed map: the seat is held by the winner, their other seat is still selected.
  await expect(loser.getByRole('alert').filter({ hasText: 'just taken' })).toContainText(contested);
  const seat = loser.locator(`svg [role="checkbox"][aria-label^="${contested},"]`);
  await expect(seat).toHaveAttribute('aria-disabled', 'true');
  await expect(seat).toHaveAttribute('aria-checked', 'false');
  await expect(seat).toHaveAttribute('aria-label', /on hold/);
  const list = loser.getByRole('list', { name: 'Selected tickets' }).getByRole('listitem');
  await expect(list).toHaveCount(1);
  await expect(loser.locator(`svg [role="checkbox"][aria-label^="${loserExtra},"]`)).toHaveAttribute('aria-checked', 'true');

  // The winner pays with the hold; the loser goes on with what is left.
  await winner.getByRole('button', { name: /^Pay / }).click();
  await expect(winner.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await loser.getByRole('link', { name: 'Continue to checkout' }).click();
  await expect(loser.getByRole('timer')).toBeVisible();
  await loser.getByRole('button', { name: /^Pay / }).click();
  await expect(loser.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();

  await ctxA.close();
  await ctxB.close();
});

test('a dropped connection shows a retry, never a blank page; the retry books once with the same key', async ({ page, context, request }) => {
  await loginViaApi(context, request);

  // Reading: the events list cannot load, then can.
  await page.route('**/api/events', (route) => route.abort('internetdisconnected'));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Connection problem' })).toBeVisible({ timeout: 20_000 });
  await page.unroute('**/api/events');
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('list', { name: 'Events' })).toBeVisible();

  // Booking: the first POST dies on the way back; Retry sends the same Idempotency-Key.
  const gaId = await findEventDateId(request, 'GA');
  await page.goto(`/event-dates/${gaId}`);
  await page.getByRole('button', { name: 'Add one General ticket' }).click();
  await page.getByRole('link', { name: 'Continue to checkout' }).click();

  const keys: string[] = [];
  let first = true;
  await page.route('**/api/bookings', async (route) => {
    keys.push(route.request().headers()['idempotency-key'] ?? '');
    if (first) {
      first = false;
      // The server books it, but the answer is lost.
      await route.fetch();
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The connection dropped' })).toBeVisible();
  await page.getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(keys[1]).toBe(keys[0]);
});

test('the map follows live availability: a seat sold elsewhere turns grey without a reload', async ({ page, request }) => {
  const seatedId = await findEventDateId(request, 'SEATED');
  await page.goto(`/event-dates/${seatedId}`);
  await page.getByRole('button', { name: 'Section F' }).click();
  const target = freeSeats(page, 'F').nth(7);
  const prefix = seatPrefix((await target.getAttribute('aria-label'))!);
  const seatId = Number(await target.getAttribute('data-seat-id'));

  const rival = await newCustomer(request);
  const login = await request.post('/api/login', { data: rival });
  const { token } = (await login.json()) as { token: string };
  const res = await request.post('/api/bookings', {
    headers: { Authorization: `Bearer ${token}` },
    data: { eventDateId: seatedId, customerName: 'Riley Rival', paymentSource: 'tok_visa', seats: [{ seatId }] },
  });
  expect(res.status()).toBe(201);

  await expect(page.locator(`svg [role="checkbox"][aria-label^="${prefix},"]`)).toHaveAttribute('aria-disabled', 'true', { timeout: 15_000 });
});

test('the map keeps up with a rush: a seat sold early turns grey while the sales go on', async ({ page, request }) => {
  const seatedId = await findEventDateId(request, 'SEATED');
  await page.goto(`/event-dates/${seatedId}`);
  await page.getByRole('button', { name: 'Section D' }).click();
  const free = freeSeats(page, 'D');
  const seatIds: number[] = [];
  for (let i = 0; i < 30; i++) seatIds.push(Number(await free.nth(i).getAttribute('data-seat-id')));
  const firstSold = page.locator(`svg [role="checkbox"][data-seat-id="${seatIds[0]}"]`);

  const rival = await newCustomer(request);
  const login = await request.post('/api/login', { data: rival });
  const { token } = (await login.json()) as { token: string };
  // A sale every ~100 ms for about three seconds: the stream sends a change more often than every 400 ms.
  let selling = true;
  let rushOver = false;
  const rush = (async () => {
    for (const seatId of seatIds) {
      if (!selling) break;
      const res = await request.post('/api/bookings', {
        headers: { Authorization: `Bearer ${token}` },
        data: { eventDateId: seatedId, customerName: 'Riley Rival', paymentSource: 'tok_visa', seats: [{ seatId }] },
      });
      expect(res.status()).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    rushOver = true;
  })();
  try {
    await expect(firstSold).toHaveAttribute('aria-disabled', 'true', { timeout: 2_000 });
    expect(rushOver).toBe(false);
  } finally {
    selling = false;
    await rush;
  }
});
