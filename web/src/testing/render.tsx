import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { AppProviders } from '@/app/providers';
import { routes } from '@/app/router';
import { shouldRetry } from '@/lib/query-client';
import type { SessionUser } from '@/lib/api/types';
import { demoUser } from './fixtures';

export function testQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: (n, e) => shouldRetry(n, e) && false, staleTime: 0, refetchOnWindowFocus: false, refetchInterval: false },
      mutations: { retry: false },
    },
  });
}

export function signIn(user: SessionUser = demoUser) {
  localStorage.setItem('ticketbooth.token', 'test-token');
  localStorage.setItem('ticketbooth.user', JSON.stringify(user));
}

/** Renders the whole app (real routes and providers) at `path`. */
export function renderApp(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const user = userEvent.setup();
  const queryClient = testQueryClient();
  const utils = render(
    <AppProviders queryClient={queryClient}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { ...utils, user, router, queryClient };
}
