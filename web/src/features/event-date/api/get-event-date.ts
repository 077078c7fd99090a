import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { unwrap } from '@/lib/api/errors';
import type { EventDateDetail } from '@/lib/api/types';

export const eventDateKeys = {
  detail: (id: number) => ['event-dates', id] as const,
  availability: (id: number) => ['event-dates', id, 'availability'] as const,
};

export function getEventDate(id: number): Promise<EventDateDetail> {
  return unwrap(api.GET('/api/event-dates/{event_date_id}', { params: { path: { event_date_id: id } } }));
}

export function eventDateQueryOptions(id: number) {
  return queryOptions({ queryKey: eventDateKeys.detail(id), queryFn: () => getEventDate(id), staleTime: 60_000 });
}

export function useEventDate(id: number) {
  return useQuery(eventDateQueryOptions(id));
}
