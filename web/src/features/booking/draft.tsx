/**
 * The selection a person is building for one event date (GA quantities or
 * seats), kept in sessionStorage so a reload or the trip to login and back
 * does not lose it.
 */
import { useCallback, useSyncExternalStore } from 'react';

export type Draft =
  | { kind: 'GA'; quantities: Record<string, number> }
  | { kind: 'SEATED'; seatIds: number[] };

const PREFIX = 'ticketbooth.draft.';
const listeners = new Set<() => void>();
const cache = new Map<number, { raw: string | null; value: Draft | null }>();

function read(eventDateId: number): Draft | null {
  let raw: string | null = null;
  try {
    raw = sessionStorage.getItem(PREFIX + eventDateId);
  } catch {
    raw = null;
  }
  const hit = cache.get(eventDateId);
  if (hit && hit.raw === raw) return hit.value;
  let value: Draft | null = null;
  try {
    value = raw ? (JSON.parse(raw) as Draft) : null;
  } catch {
    value = null;
  }
  cache.set(eventDateId, { raw, value });
  return value;
}

export function writeDraft(eventDateId: number, draft: Draft | null): void {
  try {
    if (draft === null) sessionStorage.removeItem(PREFIX + eventDateId);
    else sessionStorage.setItem(PREFIX + eventDateId, JSON.stringify(draft));
  } catch {
    /* storage unavailable: the in-memory cache below still works for this page */
    cache.set(eventDateId, { raw: null, value: draft });
  }
  for (const l of listeners) l();
}

export function readDraft(eventDateId: number): Draft | null {
  return read(eventDateId);
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useDraft(eventDateId: number) {
  const draft = useSyncExternalStore(
    subscribe,
    () => read(eventDateId),
    () => null,
  );
  const setDraft = useCallback(
    (update: Draft | null | ((current: Draft | null) => Draft | null)) => {
      const next = typeof update === 'function' ? update(read(eventDateId)) : update;
      writeDraft(eventDateId, next);
    },
    [eventDateId],
  );
  return [draft, setDraft] as const;
}
