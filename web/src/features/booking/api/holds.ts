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
import type { Draft } from '../draft';

export function holdRequest(eventDateId: number, draft: Draft, customerName = 'Ticket holder'): HoldRequest {
  // The name and payment method are given again when paying; the hold only needs placeholders.
  const base = { eventDateId, customerName: customerName.trim() || 'Ticket holder', paymentSource: 'tok_visa' };
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
