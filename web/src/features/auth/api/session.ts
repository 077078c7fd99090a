import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { unwrap } from '@/lib/api/errors';
import type { LoginRequest, LoginResponse, SignupRequest, User } from '@/lib/api/types';

export const authKeys = {
  me: ['auth', 'me'] as const,
};

// --- current user -----------------------------------------------------------

export function getMe(): Promise<User> {
  return unwrap(api.GET('/api/me'));
}

export function meQueryOptions(token: string | null) {
  return queryOptions({
    queryKey: authKeys.me,
    queryFn: getMe,
    enabled: token !== null,
    staleTime: 5 * 60_000,
  });
}

export function useMe(token: string | null) {
  return useQuery(meQueryOptions(token));
}

// --- login ------------------------------------------------------------------

export function login(body: LoginRequest): Promise<LoginResponse> {
  return unwrap(api.POST('/api/login', { body }));
}

export function useLogin() {
  return useMutation({ mutationFn: login });
}

// --- signup -----------------------------------------------------------------

export function signup(body: SignupRequest): Promise<User> {
  return unwrap(api.POST('/api/signup', { body }));
}

export function useSignup() {
  return useMutation({ mutationFn: signup });
}

// --- logout -----------------------------------------------------------------

export async function logout(): Promise<void> {
  await unwrap(api.POST('/api/logout'));
}

export function useLogoutRequest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: logout,
    onSettled: () => queryClient.removeQueries({ queryKey: authKeys.me, exact: true }),
  });
}
