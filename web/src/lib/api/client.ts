import createClient, { type Middleware } from 'openapi-fetch';
import { getToken, notifyUnauthorized } from '@/lib/auth-token';
import type { paths } from './schema';

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token && !request.headers.has('Authorization')) {
      request.headers.set('Authorization', `Bearer ${token}`);
    }
    return request;
  },
  onResponse({ request, response }) {
    // A 401 on a request that carried a token means the session is over.
    if (response.status === 401 && request.headers.has('Authorization')) {
      notifyUnauthorized();
    }
    return response;
  },
};

export const api = createClient<paths>({
  // Same origin in production (the backend serves the app) and via the dev proxy.
  baseUrl: typeof window === 'undefined' ? '' : window.location.origin,
  // Resolve fetch per call so tests can stub it.
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(authMiddleware);
