/**
 * Holds: the chosen tickets or seats reserved for a few minutes while the
 * person pays. The live hold of each event date is remembered in
 * sessionStorage together with the selection it was placed for.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { eventDateKeys } from '@/features/event-date/api/get-event-date';
import { api } from '@/lib/api/client';
import { unwrap } from '@/lib/api/errors';
import type { Hold, HoldRequest } from '@/lib/api/types';
import { writeDraft, type Draft } from '../draft';

function holdBase(eventDateId: number, customerName = 'Ticket holder') {
  // The name and payment method are given again when paying; the hold only needs placeholders.
  return { eventDateId, customerName: customerName.trim() || 'Ticket holder', paymentSource: 'tok_visa' };
}

export function holdRequest(eventDateId: number, draft: Draft, customerName?: string): HoldRequest {
  const base = holdBase(eventDateId, customerName);
  if (draft.kind === 'GA') {
    return {
      ...base,
      tiers: Object.entries(draft.quantities)
        .filter(([, q]) => q > 0)
        .map(([ticketTypeId, quantity]) => ({ ticketTypeId: Number(ticketTypeId), quantity })),
    };
  }
  return { ...base, seats: draft.seatIds.map((seatId) => ({ seatId })) };
}

export function placeHold(eventDateId: number, draft: Draft, customerName?: string): Promise<Hold> {
  return unwrap(api.POST('/api/holds', { body: holdRequest(eventDateId, draft, customerName) }));
}

export async function releaseHold(holdId: number): Promise<void> {
  await api.DELETE('/api/holds/{hold_id}', { params: { path: { hold_id: holdId } } });
}

// --- the remembered hold ----------------------------------------------------

export interface StoredHold {
  holdId: number;
  expiresAt: string;
  /** The selection the hold was placed for (JSON of the draft). */
  draftKey: string;
}

const PREFIX = 'ticketbooth.hold.';

export function draftKey(draft: Draft | null): string {
  if (!draft) return '';
  if (draft.kind === 'GA') {
    const q = Object.entries(draft.quantities)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => Number(a) - Number(b));
    return JSON.stringify(['GA', q]);
  }
  return JSON.stringify(['SEATED', [...draft.seatIds].sort((a, b) => a - b)]);
}

export function readStoredHold(eventDateId: number): StoredHold | null {
  try {
    const raw = sessionStorage.getItem(PREFIX + eventDateId);
    return raw ? (JSON.parse(raw) as StoredHold) : null;
  } catch {
    return null;
  }
}

export function storeHold(eventDateId: number, hold: Hold, draft: Draft): StoredHold {
  const stored = { holdId: hold.holdId, expiresAt: hold.expiresAt, draftKey: draftKey(draft) };
  try {
    sessionStorage.setItem(PREFIX + eventDateId, JSON.stringify(stored));
  } catch {
    /* storage unavailable: the hold still works for this page */
  }
  return stored;
}

// Event dates whose hold request is on its way: the live map may show our own seats as held before the
// answer arrives, and that must not read as "taken by someone else".
const placing = new Set<number>();

export function markPlacingHold(eventDateId: number, on: boolean): void {
  if (on) placing.add(eventDateId);
  else placing.delete(eventDateId);
}

/** True while `draft` is what our own hold is for (placed or being placed): its seats and tickets are ours. */
export function isOurHold(eventDateId: number, draft: Draft | null): boolean {
  if (placing.has(eventDateId)) return true;
  const stored = readStoredHold(eventDateId);
  return stored !== null && draft !== null && stored.draftKey === draftKey(draft);
}

export function forgetHold(eventDateId: number): void {
  try {
    sessionStorage.removeItem(PREFIX + eventDateId);
  } catch {
    /* ignore */
  }
}

/** Places a hold for the selection and remembers it; the availability of the date is refreshed. */
export function usePlaceHold(eventDateId: number) {
  const queryClient = useQueryClient();
  return useCallback(
    async (draft: Draft, customerName?: string): Promise<StoredHold> => {
      const hold = await placeHold(eventDateId, draft, customerName);
      void queryClient.invalidateQueries({ queryKey: eventDateKeys.availability(eventDateId), exact: true });
      return storeHold(eventDateId, hold, draft);
    },
    [eventDateId, queryClient],
  );
}

/** What the box office is asked to pick: `quantity` seats side by side, optionally of one tier and in one section. */
export interface SeatPick {
  quantity: number;
  ticketTypeId?: number;
  section?: string;
}

/**
 * Has the box office pick seats side by side and hold them (`pickSeats`); the
 * held seats become the selection, remembered as held by us, ready for checkout.
 */
export function usePlacePickedHold(eventDateId: number) {
  const queryClient = useQueryClient();
  return useCallback(
    async (pick: SeatPick, customerName?: string): Promise<Draft> => {
      markPlacingHold(eventDateId, true);
      try {
        const hold = await unwrap(api.POST('/api/holds', { body: { ...holdBase(eventDateId, customerName), pickSeats: pick } }));
        const draft: Draft = { kind: 'SEATED', seatIds: hold.items.flatMap((item) => (item.seatId ? [item.seatId] : [])) };
        storeHold(eventDateId, hold, draft); // first: the selection below is then already ours, never "taken"
        writeDraft(eventDateId, draft);
        void queryClient.invalidateQueries({ queryKey: eventDateKeys.availability(eventDateId), exact: true });
        return draft;
      } finally {
        markPlacingHold(eventDateId, false);
      }
    },
    [eventDateId, queryClient],
  );
}
