import type { EventDateDetail, GaAvailability, SeatedAvailability, SessionUser } from '@/lib/api/types';

export const demoUser: SessionUser = { id: 1, username: 'demo', firstName: 'Dana', lastName: 'Demo', email: 'demo@ticketbooth.dev' };

export function gaDetail(overrides: Partial<EventDateDetail> = {}): EventDateDetail {
  return {
    id: 1,
    event: { id: 1, title: 'Northern Lights Festival', description: 'Synth-pop under the lights.' },
    date: '2026-12-09T20:00:00Z',
    venue: { id: 1, name: 'Riverside Arena', capacity: 5000 },
    seatingMode: 'GA',
    maxTicketsPerOrder: 6,
    ...overrides,
  };
}

export function seatedDetail(overrides: Partial<EventDateDetail> = {}): EventDateDetail {
  return gaDetail({ id: 2, seatingMode: 'SEATED', venue: { id: 2, name: 'Grand Hall', capacity: 24 }, maxTicketsPerOrder: 4, ...overrides });
}

export function gaAvailability(remaining: Partial<Record<'VIP' | 'FRONT_ROW' | 'GA', number>> = {}): GaAvailability {
  return {
    seatingMode: 'GA',
    tiers: [
      { id: 1, name: 'VIP', price: 149, remaining: remaining.VIP ?? 3 },
      { id: 2, name: 'FRONT_ROW', price: 89, remaining: remaining.FRONT_ROW ?? 40 },
      { id: 3, name: 'GA', price: 49.5, remaining: remaining.GA ?? 400 },
    ],
  };
}

/**
 * Two sections (A, B) of 3 rows x 4 seats. Row 1 is VIP, row 2 FRONT_ROW,
 * row 3 GA; seat 4 of row 3 is accessible. `taken` lists unavailable labels.
 */
export function seatedAvailability(taken: string[] = []): SeatedAvailability {
  const tiers = [
    { ticketType: 'VIP', ticketTypeId: 1, price: 120 },
    { ticketType: 'FRONT_ROW', ticketTypeId: 2, price: 80 },
    { ticketType: 'GA', ticketTypeId: 3, price: 45 },
  ] as const;
  let seatId = 1;
  return {
    seatingMode: 'SEATED',
    sections: ['A', 'B'].map((section) => ({
      section,
      rows: tiers.map((tier, ri) => ({
        row: String(ri + 1),
        seats: [1, 2, 3, 4].map((number) => {
          const label = `${section}-${ri + 1}-${number}`;
          return {
            seatId: seatId++,
            label,
            number,
            ...tier,
            available: !taken.includes(label),
            status: taken.includes(label) ? ('sold' as const) : ('available' as const),
            accessible: ri === 2 && number === 4,
          };
        }),
      })),
    })),
  };
}
