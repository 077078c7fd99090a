import { QueryClient } from '@tanstack/react-query';
import { isApiError } from '@/lib/api/errors';

/** Retry only what can get better: network errors and 5xx, never a 4xx answer. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (isApiError(error) && error.isClientError) return false;
  return failureCount < 2;
}

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        staleTime: 15_000,
        refetchOnWindowFocus: true,
      },
      mutations: {
        // A booking must never be sent twice behind the user's back.
        retry: false,
      },
    },
  });
}
