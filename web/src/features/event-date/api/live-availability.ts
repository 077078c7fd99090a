import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Availability, AvailabilityChange, AvailabilitySnapshot, SeatRow } from '@/lib/api/types';
import { eventDateKeys } from './get-event-date';

/**
 * The availability with a change of the live stream applied. Rows and sections
 * without a changed seat keep their identity, so only what changed re-renders.
 */
export function applyAvailabilityChange(availability: Availability, change: AvailabilityChange): Availability {
  if (availability.seatingMode === 'GA' && change.seatingMode === 'GA') {
    const tiers = new Map(change.tiers.map((tier) => [tier.id, tier]));
    return { ...availability, tiers: availability.tiers.map((tier) => tiers.get(tier.id) ?? tier) };
  }
  if (availability.seatingMode === 'SEATED' && change.seatingMode === 'SEATED') {
    const states = new Map(change.seats.map((seat) => [seat.seatId, seat]));
    const applyToRow = (row: SeatRow): SeatRow =>
      row.seats.some((seat) => states.has(seat.seatId))
        ? { ...row, seats: row.seats.map((seat) => ({ ...seat, ...states.get(seat.seatId) })) }
        : row;
    return {
      ...availability,
      sections: availability.sections.map((section) => {
        const rows = section.rows.map(applyToRow);
        return rows.every((row, i) => row === section.rows[i]) ? section : { ...section, rows };
      }),
    };
  }
  return availability;
}

/**
 * Follows the server's live availability stream (Server-Sent Events) and
 * applies each change to the cached availability as it comes, so the map keeps
 * moving through an on-sale without a request per change. Without EventSource,
 * or while the stream is down, the query's own polling still runs.
 */
export function useLiveAvailability(eventDateId: number, enabled = true) {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!enabled || !Number.isInteger(eventDateId) || typeof EventSource === 'undefined') return;
    const key = eventDateKeys.availability(eventDateId);
    const source = new EventSource(`/api/event-dates/${eventDateId}/availability/stream`);
    const onSnapshot = (event: MessageEvent<string>) => {
      const { type: _type, ...availability } = JSON.parse(event.data) as AvailabilitySnapshot;
      queryClient.setQueryData<Availability>(key, availability as Availability);
    };
    const onChange = (event: MessageEvent<string>) => {
      const change = JSON.parse(event.data) as AvailabilityChange;
      queryClient.setQueryData<Availability>(key, (old) => (old ? applyAvailabilityChange(old, change) : old));
    };
    source.addEventListener('snapshot', onSnapshot);
    source.addEventListener('change', onChange);
    return () => {
      source.removeEventListener('snapshot', onSnapshot);
      source.removeEventListener('change', onChange);
      source.close();
    };
  }, [eventDateId, enabled, queryClient]);
}
