/** Ports of the two e2e servers; shared by the Playwright config and the specs. */
export const port = Number(process.env.E2E_PORT ?? 4173);
// A second server whose holds last seconds, for the hold-expiry tests only.
export const shortHoldPort = Number(process.env.E2E_SHORT_HOLD_PORT ?? port + 1);
export const SHORT_HOLD_TTL_SECONDS = 20;
