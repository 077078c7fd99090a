import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { unwrap } from '@/lib/api/errors';
import type { Availability } from '@/lib/api/types';
import { eventDateKeys } from './get-event-date';

export function getAvailability(id: number): Promise<Availability> {
  return unwrap(api.GET('/api/event-dates/{event_date_id}/availability', { params: { path: { event_date_id: id } } }));
}

export function availabilityQueryOptions(id: number) {
  return queryOptions({
    queryKey: eventDateKeys.availability(id),
    queryFn: () => getAvailability(id),
    // Inventory moves while people look at it: keep it fresh.
    staleTime: 5_000,
    refetchInterval: 30_000,
  });
}

export function useAvailability(id: number) {
  return useQuery(availabilityQueryOptions(id));
}
