import type { Seat, SeatSection, Tier } from '@/lib/api/types';

// --- general admission ------------------------------------------------------

export type Quantities = Record<string, number>;

export interface GaLine {
  tier: Tier;
  quantity: number;
  subtotal: number;
}

export function gaSummary(tiers: readonly Tier[], quantities: Quantities) {
  const lines: GaLine[] = [];
  let count = 0;
  let total = 0;
  for (const tier of tiers) {
    const quantity = quantities[tier.id] ?? 0;
    if (quantity <= 0) continue;
    const subtotal = roundMoney(tier.price * quantity);
    lines.push({ tier, quantity, subtotal });
    count += quantity;
    total += subtotal;
  }
  return { lines, count, total: roundMoney(total) };
}

/** The most of this tier one may hold: what is left, and what the order limit still allows. */
export function maxForTier(tier: Tier, quantities: Quantities, maxPerOrder: number): number {
  let others = 0;
  for (const [id, qty] of Object.entries(quantities)) if (Number(id) !== tier.id) others += qty;
  return Math.max(0, Math.min(tier.remaining, maxPerOrder - others));
}

export function setTierQuantity(tier: Tier, quantities: Quantities, wanted: number, maxPerOrder: number): Quantities {
  const bounded = Math.max(0, Math.min(Math.floor(Number.isFinite(wanted) ? wanted : 0), maxForTier(tier, quantities, maxPerOrder)));
  const next = { ...quantities };
  if (bounded === 0) delete next[tier.id];
  else next[tier.id] = bounded;
  return next;
}

/** Brings quantities back within what is left (after a refetch); reports the tiers that shrank. */
export function clampQuantities(tiers: readonly Tier[], quantities: Quantities) {
  const next: Quantities = {};
  const reduced: { tier: Tier; from: number; to: number }[] = [];
  for (const tier of tiers) {
    const qty = quantities[tier.id] ?? 0;
    if (qty <= 0) continue;
    const to = Math.min(qty, tier.remaining);
    if (to > 0) next[tier.id] = to;
    if (to < qty) reduced.push({ tier, from: qty, to });
  }
  return { quantities: next, reduced };
}

// --- seats ------------------------------------------------------------------

export interface SeatInfo {
  seat: Seat;
  section: string;
  row: string;
}

export function indexSeats(sections: readonly SeatSection[]): Map<number, SeatInfo> {
  const index = new Map<number, SeatInfo>();
  for (const s of sections)
    for (const r of s.rows) for (const seat of r.seats) index.set(seat.seatId, { seat, section: s.section, row: r.row });
  return index;
}

/** Splits a selection into the seats still available and the ones lost meanwhile. */
export function pruneSeats(seatIds: readonly number[], index: Map<number, SeatInfo>) {
  const kept: number[] = [];
  const lost: SeatInfo[] = [];
  for (const id of seatIds) {
    const info = index.get(id);
    if (info && info.seat.available) kept.push(id);
    else if (info) lost.push(info);
  }
  return { kept, lost };
}

export function seatSummary(seatIds: readonly number[], index: Map<number, SeatInfo>) {
  const lines: SeatInfo[] = [];
  let total = 0;
  for (const id of seatIds) {
    const info = index.get(id);
    if (!info) continue;
    lines.push(info);
    total += info.seat.price;
  }
  return { lines, count: lines.length, total: roundMoney(total) };
}

export function seatName(info: SeatInfo): string {
  return `Section ${info.section}, row ${info.row}, seat ${info.seat.number}`;
}

function roundMoney(n: number): number {
  return Math.round(n * 100) / 100;
}
