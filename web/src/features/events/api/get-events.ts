import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { unwrap } from '@/lib/api/errors';
import type { EventSummary } from '@/lib/api/types';

export const eventKeys = {
  list: ['events'] as const,
};

export function getEvents(): Promise<EventSummary[]> {
  return unwrap(api.GET('/api/events'));
}

export function eventsQueryOptions() {
  return queryOptions({ queryKey: eventKeys.list, queryFn: getEvents });
}

export function useEvents() {
  return useQuery(eventsQueryOptions());
}
