import { expect, test, type Page } from '@playwright/test';
import {
  DESKTOP,
  PHONE,
  expectNoHorizontalScroll,
  expectNoSeriousA11yViolations,
  findEventDateId,
  freeSeats,
  loginViaApi,
  screenshot,
} from './helpers';

// Every page at desktop and phone width: axe finds nothing serious, nothing
// overflows sideways, and a screenshot lands in docs/screenshots/.
for (const [size, viewport] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const) {
  test.describe(`${size} pages`, () => {
    test.use({ viewport });

    async function check(page: Page, name: string) {
      await expectNoSeriousA11yViolations(page, `${name}-${size}`);
      if (size === 'phone') await expectNoHorizontalScroll(page);
      await screenshot(page, `${name}-${size}`);
    }

    test('events list', async ({ page }) => {
      await page.goto('/');
      await expect(page.getByRole('heading', { name: 'Upcoming concerts' })).toBeVisible();
      await expect(page.getByText('Sold out').first()).toBeVisible();
      await check(page, 'events');
    });

    test('general admission date', async ({ page, request }) => {
      const ga = await findEventDateId(request, 'GA');
      await page.goto(`/event-dates/${ga}`);
      await page.getByRole('button', { name: /Add one VIP ticket/ }).click();
      await page.getByRole('button', { name: /Add one General ticket/ }).click();
      await page.getByRole('button', { name: /Add one General ticket/ }).click();
      await expect(page.getByTestId('order-total')).not.toHaveText('$0.00');
      await check(page, 'event-ga');
    });

    test('seated date with the seat map', async ({ page, request }) => {
      test.setTimeout(120_000);
      const seated = await findEventDateId(request, 'SEATED');
      await page.goto(`/event-dates/${seated}`);
      await expect(page.getByRole('group', { name: /Seat map/ })).toBeVisible();
      await check(page, 'event-seated');
      await page.getByRole('button', { name: 'Section B' }).click();
      const chosen = page.locator('svg [role="checkbox"][aria-checked="true"]');
      await freeSeats(page, 'B').nth(0).click();
      await expect(chosen).toHaveCount(1);
      await freeSeats(page, 'B').nth(0).click();
      await expect(chosen).toHaveCount(2);
      await expect(page.getByTestId('order-total')).not.toHaveText('$0.00');
      await check(page, 'event-seated-section');
    });

    test('sold-out date', async ({ page, request }) => {
      const soldOut = await findEventDateId(request, 'GA', { soldOut: true });
      await page.goto(`/event-dates/${soldOut}`);
      await expect(page.getByText('Every ticket for this date has been sold.')).toBeVisible();
      await check(page, 'event-sold-out');
    });

    test('login and signup forms with validation messages', async ({ page }) => {
      await page.goto('/login');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByText('Enter your email or username.')).toBeVisible();
      await check(page, 'login');

      await page.goto('/signup');
      await page.getByLabel('Email').fill('not-an-email');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect(page.getByText('Use at least 8 characters.')).toBeVisible();
      await check(page, 'signup');
    });

    test('404 page', async ({ page }) => {
      await page.goto('/no/such/page');
      await expect(page.getByRole('heading', { name: /couldn't find that page/ })).toBeVisible();
      await check(page, 'not-found');
    });

    test('signed-in pages: checkout, confirmation, my orders, account menu', async ({ page, context, request }) => {
      test.setTimeout(120_000);
      await loginViaApi(context, request);
      const seated = await findEventDateId(request, 'SEATED');
      await page.goto(`/event-dates/${seated}`);
      await page.getByRole('button', { name: 'Section D' }).click();
      const chosen = page.locator('svg [role="checkbox"][aria-checked="true"]');
      await freeSeats(page, 'D').nth(2).click();
      await expect(chosen).toHaveCount(1); // the map has re-rendered: the next free seat is another one
      await freeSeats(page, 'D').nth(2).click();
      await expect(chosen).toHaveCount(2);
      await page.getByRole('link', { name: 'Continue to checkout' }).click();
      await expect(page.getByRole('heading', { name: 'Checkout' })).toBeVisible();
      await expect(page.getByRole('timer')).toHaveText(/^(10:00|09:[45]\d)$/);
      await check(page, 'checkout');

      await page.getByRole('button', { name: /^Pay / }).click();
      await expect(page.getByRole('heading', { name: 'Booking confirmed' })).toBeVisible();
      await check(page, 'confirmation');

      await page.goto('/orders');
      await expect(page.getByRole('heading', { name: 'My orders' })).toBeVisible();
      await expect(page.getByRole('list', { name: 'Orders' }).getByRole('listitem').first()).toBeVisible();
      await check(page, 'orders');

      await page.getByRole('button', { name: /Account menu/ }).click();
      await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeVisible();
      await check(page, 'account-menu');
    });
  });
}
