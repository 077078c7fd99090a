import { gaAvailability, seatedAvailability } from '@/testing/fixtures';
import { clampQuantities, gaSummary, indexSeats, maxForTier, pruneSeats, seatSummary, setTierQuantity } from './selection';

const tiers = gaAvailability({ VIP: 3 }).tiers;
const [vip, front, ga] = tiers as [(typeof tiers)[0], (typeof tiers)[0], (typeof tiers)[0]];

describe('GA totals and bounds', () => {
  it('adds up lines and total in currency units, exact to the cent', () => {
    const s = gaSummary(tiers, { 1: 2, 3: 3 });
    expect(s.count).toBe(5);
    expect(s.total).toBe(149 * 2 + 49.5 * 3);
    expect(s.lines.map((l) => [l.tier.name, l.quantity, l.subtotal])).toEqual([
      ['VIP', 2, 298],
      ['GA', 3, 148.5],
    ]);
  });

  it('bounds a tier by what is left', () => {
    expect(maxForTier(vip, {}, 10)).toBe(3);
    expect(setTierQuantity(vip, {}, 7, 10)).toEqual({ 1: 3 });
  });

  it('bounds a tier by the per-order limit minus the other tiers', () => {
    expect(maxForTier(ga, { 1: 2, 2: 1 }, 6)).toBe(3);
    expect(setTierQuantity(ga, { 1: 2, 2: 1 }, 10, 6)).toEqual({ 1: 2, 2: 1, 3: 3 });
  });

  it('never goes below zero and drops empty tiers', () => {
    expect(setTierQuantity(front, { 2: 1 }, -4, 6)).toEqual({});
    expect(setTierQuantity(front, {}, Number.NaN, 6)).toEqual({});
  });

  it('clamps quantities to fresh inventory and reports what shrank', () => {
    const fresh = gaAvailability({ VIP: 1, FRONT_ROW: 0 }).tiers;
    const { quantities, reduced } = clampQuantities(fresh, { 1: 2, 2: 1, 3: 2 });
    expect(quantities).toEqual({ 1: 1, 3: 2 });
    expect(reduced.map((r) => [r.tier.name, r.from, r.to])).toEqual([
      ['VIP', 2, 1],
      ['FRONT_ROW', 1, 0],
    ]);
  });
});

describe('seat selection', () => {
  it('sums the prices of the chosen seats', () => {
    const index = indexSeats(seatedAvailability().sections);
    expect(seatSummary([1, 5, 12], index)).toMatchObject({ count: 3, total: 120 + 80 + 45 });
  });

  it('splits off the seats taken meanwhile', () => {
    const index = indexSeats(seatedAvailability(['A-1-2']).sections);
    const { kept, lost } = pruneSeats([1, 2, 5], index);
    expect(kept).toEqual([1, 5]);
    expect(lost.map((l) => l.seat.label)).toEqual(['A-1-2']);
  });
});
