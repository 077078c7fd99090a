import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { eventDateKeys } from './get-event-date';

const DEBOUNCE_MS = 400;

/**
 * Follows the server's live availability stream (Server-Sent Events) and
 * refetches availability when something is sold, held or released. Without
 * EventSource, or while the stream is down, the query's own polling still runs.
 */
export function useLiveAvailability(eventDateId: number, enabled = true) {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!enabled || !Number.isInteger(eventDateId) || typeof EventSource === 'undefined') return;
    const source = new EventSource(`/api/event-dates/${eventDateId}/availability/stream`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onChange = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void queryClient.invalidateQueries({ queryKey: eventDateKeys.availability(eventDateId), exact: true });
      }, DEBOUNCE_MS);
    };
    source.addEventListener('change', onChange);
    return () => {
      clearTimeout(timer);
      source.removeEventListener('change', onChange);
      source.close();
    };
  }, [eventDateId, enabled, queryClient]);
}
