import { expect, test } from '@playwright/test';
import { PHONE, expectNoHorizontalScroll, findEventDateId, freeSeats, loginViaUi } from './helpers';

test.use({ viewport: PHONE, hasTouch: true, isMobile: true });

test('on a 375 px phone: log in, pick seats in a section, pay, see the order', async ({ page, request }) => {
  test.setTimeout(90_000);
  await loginViaUi(page);
  await expectNoHorizontalScroll(page);

  const seatedId = await findEventDateId(request, 'SEATED');
  await page.goto('/');
  await page.locator(`a[href="/event-dates/${seatedId}"]`).first().tap();
  await page.getByRole('button', { name: 'Section F' }).tap();
  const chosen = page.getByRole('list', { name: 'Selected tickets' }).getByRole('listitem');
  await freeSeats(page, 'F').nth(3).tap();
  await expect(chosen).toHaveCount(1); // re-rendered: the next tap picks another seat, not the same one again
  await freeSeats(page, 'F').nth(3).tap();
  await expect(chosen).toHaveCount(2);
  await expectNoHorizontalScroll(page);

  await page.getByRole('link', { name: 'Continue to checkout' }).tap();
  await expect(page.getByRole('timer')).toBeVisible();
  await expectNoHorizontalScroll(page);
  await page.getByRole('button', { name: /^Pay / }).tap();
  await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
  await expectNoHorizontalScroll(page);

  await page.getByRole('link', { name: 'My orders' }).first().tap();
  await expect(page.getByRole('heading', { name: 'My orders' })).toBeVisible();
  await expectNoHorizontalScroll(page);
});
