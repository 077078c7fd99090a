import { expect, test } from '@playwright/test';
import { SHORT_HOLD_TTL_SECONDS, shortHoldPort } from './ports';
import { findEventDateId, loginViaApi } from './helpers';

// This file runs against the second e2e server, whose holds last seconds
// instead of ten minutes; the other tests keep the normal TTL.
test.use({ baseURL: `http://127.0.0.1:${shortHoldPort}` });

test('a hold that runs out: checkout says so, and Renew hold gets the tickets again', async ({ page, context, request }) => {
  test.setTimeout(120_000);
  await loginViaApi(context, request);
  const gaId = await findEventDateId(request, 'GA');
  await page.goto(`/event-dates/${gaId}`);
  await page.getByRole('button', { name: 'Add one General ticket' }).click();
  await page.getByRole('link', { name: 'Continue to checkout' }).click();

  const timer = page.getByRole('timer');
  await expect(timer).toHaveText(/^00:[0-2]\d$/);
  await expect(page.getByRole('button', { name: /^Pay / })).toBeEnabled();

  const expired = page.getByRole('alert').filter({ hasText: 'Your hold expired and the seats were released' });
  await expect(expired).toBeVisible({ timeout: (SHORT_HOLD_TTL_SECONDS + 10) * 1000 });
  await expect(timer).toBeHidden();
  await expect(page.getByRole('button', { name: /^Pay / })).toBeDisabled();

  await expired.getByRole('button', { name: 'Renew hold' }).click();
  await expect(timer).toBeVisible();
  await expect(expired).toBeHidden();
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Tickets' }).getByRole('listitem')).toHaveCount(1);
});

test('paying with a hold the server already expired answers HOLD_EXPIRED: explained, renewable', async ({ page, context, request }) => {
  test.setTimeout(120_000);
  await loginViaApi(context, request);
  const gaId = await findEventDateId(request, 'GA');
  await page.goto(`/event-dates/${gaId}`);
  await page.getByRole('button', { name: 'Add one General ticket' }).click();
  await page.getByRole('link', { name: 'Continue to checkout' }).click();
  await expect(page.getByRole('timer')).toBeVisible();

  // The browser's clock says there is time left; the server's says the hold is over.
  await page.route('**/api/bookings', (route) =>
    route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: 'HOLD_EXPIRED', message: 'This hold has expired.' }) }),
  );
  await page.getByRole('button', { name: /^Pay / }).click();
  const expired = page.getByRole('alert').filter({ hasText: 'Your hold expired and the seats were released' });
  await expect(expired).toBeVisible();
  await page.unroute('**/api/bookings');
  await expired.getByRole('button', { name: 'Renew hold' }).click();
  await expect(page.getByRole('timer')).toBeVisible();
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
});
