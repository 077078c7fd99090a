import { expect, test } from '@playwright/test';
import { DEMO, findEventDateId, freeSeats, loginViaApi, loginViaUi } from './helpers';

const money = (n: number) => `$${n.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;

async function orderCount(request: import('@playwright/test').APIRequestContext, token: string) {
  const res = await request.get('/api/orders', { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  return ((await res.json()) as unknown[]).length;
}

test('the demo customer logs in, books GA tickets (a double click books once) and finds them in My orders', async ({ page, request }) => {
  const gaId = await findEventDateId(request, 'GA');
  const avail = (await (await request.get(`/api/event-dates/${gaId}/availability`)).json()) as {
    tiers: { id: number; name: string; price: number }[];
  };
  const vip = avail.tiers.find((t) => t.name === 'VIP')!;
  const front = avail.tiers.find((t) => t.name === 'FRONT_ROW')!;
  const login = await request.post('/api/login', { data: { email: DEMO.email, password: DEMO.password } });
  const { token } = (await login.json()) as { token: string };
  const before = await orderCount(request, token);

  await loginViaUi(page);
  await page.goto('/');
  await page.locator(`a[href="/event-dates/${gaId}"]`).click();
  await expect(page.getByRole('heading', { name: 'Tickets' })).toBeVisible();

  await page.getByRole('button', { name: 'Add one VIP ticket' }).click();
  await page.getByRole('button', { name: 'Add one VIP ticket' }).click();
  await page.getByRole('button', { name: 'Add one Front Row ticket' }).click();
  await expect(page.getByLabel('VIP quantity')).toHaveValue('2');
  const total = vip.price * 2 + front.price;
  await expect(page.getByTestId('order-total')).toHaveText(money(total));

  await page.getByRole('link', { name: 'Continue to checkout' }).click();
  await expect(page.getByLabel('Name on the tickets')).toHaveValue(DEMO.name);
  // The tickets are held while paying, with the time left on screen.
  await expect(page.getByRole('timer')).toHaveText(/^(10:00|09:[45]\d)$/);
  await page.getByLabel('Test Mastercard').check();
  const pay = page.getByRole('button', { name: `Pay ${money(total)}` });
  // An impatient double click: the Idempotency-Key makes it one booking.
  await pay.dblclick();

  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Tickets' }).getByRole('listitem')).toHaveCount(3);
  await expect(page.getByText(`Total ${money(total)}`)).toBeVisible();
  const orderId = page.url().split('/').pop();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My orders' }).click();
  await expect(page.getByRole('heading', { name: 'My orders' })).toBeVisible();
  const first = page.getByRole('list', { name: 'Orders' }).getByRole('listitem').first();
  await expect(first).toContainText(`Order #${orderId}`);
  await expect(first).toContainText(money(total));
  expect(await orderCount(request, token)).toBe(before + 1);
});

test('books seats on the SVG map with the mouse and the keyboard; held seats are unavailable to others meanwhile', async ({ page, request, context, browser }) => {
  test.setTimeout(120_000);
  await loginViaApi(context, request);
  const seatedId = await findEventDateId(request, 'SEATED');
  await page.goto(`/event-dates/${seatedId}`);
  await page.getByRole('button', { name: 'Section C' }).click();

  const firstSeat = freeSeats(page, 'C').first();
  const firstName = (await firstSeat.getAttribute('aria-label'))!;
  await firstSeat.click();
  await expect(page.locator(`[aria-label="${firstName}"]`)).toHaveAttribute('aria-checked', 'true');

  // Keyboard: the clicked seat has focus; move right and select with Space.
  await expect(page.locator(`[aria-label="${firstName}"]`)).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  const selected = page.locator('svg [role="checkbox"][aria-checked="true"]');
  await expect(selected).toHaveCount(2);
  const labels = await selected.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')!));

  const list = page.getByRole('list', { name: 'Selected tickets' });
  await expect(list.getByRole('listitem')).toHaveCount(2);
  await page.getByRole('link', { name: 'Continue to checkout' }).click();
  await expect(page.getByRole('timer')).toHaveText(/^(10:00|09:[45]\d)$/);

  // While the first person is on checkout, someone else sees those seats as held.
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const otherPage = await other.newPage();
  await otherPage.goto(`/event-dates/${seatedId}`);
  await otherPage.getByRole('button', { name: 'Section C' }).click();
  for (const label of labels) {
    const seat = otherPage.locator(`[aria-label^="${label.split(', ').slice(0, 3).join(', ')},"]`);
    await expect(seat).toHaveAttribute('aria-disabled', 'true');
    await expect(seat).toHaveAttribute('aria-label', /on hold/);
  }
  await other.close();

  await page.getByRole('button', { name: /^Pay / }).click();

  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  const tickets = page.getByRole('list', { name: 'Tickets' }).getByRole('listitem');
  await expect(tickets).toHaveCount(2);
  await expect(tickets.first()).toContainText('Seat C-');

  await page.goto('/orders');
  await expect(page.getByRole('list', { name: 'Orders' }).getByRole('listitem').first()).toContainText('2 tickets');

  // The map now shows those seats as taken.
  await page.goto(`/event-dates/${seatedId}`);
  for (const label of labels) {
    const seat = page.locator(`[aria-label^="${label.split(', ').slice(0, 3).join(', ')},"]`);
    await expect(seat).toHaveAttribute('aria-disabled', 'true');
  }
});

test('the box office picks three seats side by side in a section: held on the way to checkout, then paid', async ({ page, request, context }) => {
  await loginViaApi(context, request);
  const seatedId = await findEventDateId(request, 'SEATED');
  await page.goto(`/event-dates/${seatedId}`);

  const form = page.getByRole('form', { name: 'Find seats for me' });
  await form.getByLabel('Seats').selectOption('3');
  await form.getByLabel('Section').selectOption('D');
  await form.getByRole('button', { name: 'Find seats together' }).click();

  await expect(page).toHaveURL(new RegExp(`/event-dates/${seatedId}/checkout$`));
  await expect(page.getByRole('timer')).toHaveText(/^(10:00|09:[45]\d)$/);
  await page.getByRole('button', { name: /^Pay / }).click();

  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  const tickets = page.getByRole('list', { name: 'Tickets' }).getByRole('listitem');
  await expect(tickets).toHaveCount(3);
  const labels = (await tickets.allTextContents()).map((t) => /Seat (D-\d+)-(\d+)/.exec(t)!);
  expect(new Set(labels.map((m) => m[1])).size).toBe(1); // one row
  const numbers = labels.map((m) => Number(m[2])).sort((a, b) => a - b);
  expect(numbers).toEqual([numbers[0], numbers[0]! + 1, numbers[0]! + 2]); // side by side
});

test('a new customer signs up, is logged in, and logs out from the account menu', async ({ page }) => {
  const email = `e2e-${Date.now()}@example.com`;
  await page.goto('/signup');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Enter your first name.')).toBeVisible();
  await expect(page.getByLabel('First name')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('First name').fill('Eve');
  await page.getByLabel('Last name').fill('Tester');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a-long-password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('button', { name: /Account menu for Eve Tester/ })).toBeVisible();

  // The same email again is refused with a message on the field.
  await page.getByRole('button', { name: /Account menu/ }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  await page.goto('/signup');
  await page.getByLabel('First name').fill('Eve');
  await page.getByLabel('Last name').fill('Again');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a-long-password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText(/already exists/)).toBeVisible();
});

test('a rejected session sends the person to log in and back to where they were', async ({ page, context }) => {
  await context.addInitScript(() => {
    localStorage.setItem('ticketbooth.token', 'not-a-valid-token');
    localStorage.setItem('ticketbooth.user', JSON.stringify({ id: 1, username: 'demo', firstName: 'Dana', lastName: 'Demo', email: 'demo@ticketbooth.dev' }));
  });
  await page.goto('/orders');
  await expect(page).toHaveURL(/\/login\?returnTo=%2Forders/);
  await expect(page.getByText('Your session has ended.')).toBeVisible();
  await page.evaluate(() => localStorage.clear());
  await page.getByLabel('Email or username').fill('demo');
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'My orders' })).toBeVisible();
});

test('wrong password shows a message and keeps the person on the form', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email or username').fill(DEMO.email);
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('not right');
});
