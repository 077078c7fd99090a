import type { SeatedAvailability } from '@/lib/api/types';
import { gaAvailability, seatedAvailability } from '@/testing/fixtures';
import { applyAvailabilityChange } from './live-availability';

const seatsOf = (availability: SeatedAvailability) =>
  availability.sections.flatMap((section) => section.rows.flatMap((row) => row.seats));

describe('applyAvailabilityChange', () => {
  it('sets the status of the changed seats and keeps every other row as it was', () => {
    const before = seatedAvailability();
    const [first, second] = seatsOf(before);
    const after = applyAvailabilityChange(before, {
      type: 'change',
      seatingMode: 'SEATED',
      seats: [
        { seatId: first!.seatId, status: 'sold', available: false },
        { seatId: second!.seatId, status: 'held', available: false },
      ],
    }) as SeatedAvailability;

    const changed = new Map(seatsOf(after).map((seat) => [seat.seatId, seat]));
    expect(changed.get(first!.seatId)).toEqual({ ...first, status: 'sold', available: false });
    expect(changed.get(second!.seatId)).toEqual({ ...second, status: 'held', available: false });
    expect(seatsOf(after).filter((seat) => !seat.available)).toHaveLength(2);
    // Only section A's first row changed: the other rows and section B are the same objects.
    expect(after.sections[0]!.rows[0]).not.toBe(before.sections[0]!.rows[0]);
    expect(after.sections[0]!.rows[1]).toBe(before.sections[0]!.rows[1]);
    expect(after.sections[1]).toBe(before.sections[1]);
  });

  it('frees a released seat', () => {
    const before = seatedAvailability(['B-2-3']);
    const taken = seatsOf(before).find((seat) => !seat.available)!;
    const after = applyAvailabilityChange(before, {
      type: 'change',
      seatingMode: 'SEATED',
      seats: [{ seatId: taken.seatId, status: 'available', available: true }],
    }) as SeatedAvailability;
    expect(seatsOf(after).every((seat) => seat.available)).toBe(true);
  });

  it('sets the remaining count of the tiers in a GA change', () => {
    const after = applyAvailabilityChange(gaAvailability({ VIP: 3 }), {
      type: 'change',
      seatingMode: 'GA',
      tiers: [{ id: 1, name: 'VIP', price: 149, remaining: 1 }],
    });
    expect(after).toEqual(gaAvailability({ VIP: 1 }));
  });

  it('ignores a change of the other seating mode', () => {
    const before = gaAvailability();
    expect(applyAvailabilityChange(before, { type: 'change', seatingMode: 'SEATED', seats: [] })).toBe(before);
  });
});
