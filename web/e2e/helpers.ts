import AxeBuilder from '@axe-core/playwright';
import { expect, type APIRequestContext, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO = { email: 'demo@ticketbooth.dev', password: 'demo-pass-123', name: 'Dana Demo' };
export const PHONE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 800 };

const screenshotDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');

/** Logs in through the API and puts the session where the app keeps it. */
export async function loginViaApi(context: BrowserContext, request: APIRequestContext, creds: { email: string; password: string } = DEMO) {
  const res = await request.post('/api/login', { data: { email: creds.email, password: creds.password } });
  expect(res.status()).toBe(200);
  const { token, user } = (await res.json()) as { token: string; user: unknown };
  await context.addInitScript(
    ([t, u]) => {
      if (!localStorage.getItem('ticketbooth.token')) {
        localStorage.setItem('ticketbooth.token', t as string);
        localStorage.setItem('ticketbooth.user', JSON.stringify(u));
      }
    },
    [token, user],
  );
  return { token, user };
}

/** Logs in through the login form, as a person would. */
export async function loginViaUi(page: Page, creds = DEMO) {
  await page.goto('/login');
  await page.getByLabel('Email or username').fill(creds.email);
  await page.getByLabel('Password').fill(creds.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('button', { name: /Account menu/ })).toBeVisible();
}

export async function findEventDateId(request: APIRequestContext, mode: 'GA' | 'SEATED', opts: { soldOut?: boolean } = {}) {
  const res = await request.get('/api/events');
  const events = (await res.json()) as { dates: { id: number; seatingMode: string; soldOut: boolean }[] }[];
  for (const e of events)
    for (const d of e.dates) if (d.seatingMode === mode && d.soldOut === (opts.soldOut ?? false)) return d.id;
  throw new Error(`no ${mode} date`);
}

/** Available seats of one section on the map, in document order. */
export function freeSeats(page: Page, section: string): Locator {
  return page.locator(`svg [role="checkbox"][aria-checked="false"]:not([aria-disabled="true"])[aria-label^="Section ${section},"]`);
}

export async function expectNoSeriousA11yViolations(page: Page, label: string) {
  // Legacy mode runs axe.run in the page in one go (the app has no iframes);
  // the default per-frame partial runs take minutes on the 2,400-seat map.
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .options({ resultTypes: ['violations'] })
    .setLegacyMode(true)
    .analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = serious.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n  ')}`);
  expect(report, `axe on ${label}`).toEqual([]);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(screenshotDir, { recursive: true });
  // Let transitions and toasts settle so the pictures are stable.
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

export async function expectNoHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'page is wider than the viewport').toBeLessThanOrEqual(0);
}
