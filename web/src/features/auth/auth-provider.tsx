import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { getToken, onUnauthorized, setToken } from '@/lib/auth-token';
import type { SessionUser } from '@/lib/api/types';
import { authKeys, logout as logoutRequest, useMe } from './api/session';

const USER_KEY = 'ticketbooth.user';

interface AuthState {
  token: string | null;
  user: SessionUser | null;
  /** True while a stored token is being checked against /api/me and no user is known yet. */
  loading: boolean;
  signIn: (token: string, user: SessionUser) => void;
  signOut: () => Promise<void>;
  /** Incremented each time the server rejected our token (401). */
  expiredCount: number;
}

const AuthContext = createContext<AuthState | null>(null);

function readStoredUser(): SessionUser | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as SessionUser) : null;
  } catch {
    return null;
  }
}

function storeUser(user: SessionUser | null) {
  try {
    if (user) localStorage.setItem(USER_KEY, JSON.stringify(user));
    else localStorage.removeItem(USER_KEY);
  } catch {
    /* storage unavailable */
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [token, setTokenState] = useState<string | null>(() => getToken());
  const [storedUser, setStoredUser] = useState<SessionUser | null>(() => (getToken() ? readStoredUser() : null));
  const [expiredCount, setExpiredCount] = useState(0);
  const me = useMe(token);

  const clearSession = useCallback(() => {
    setToken(null);
    storeUser(null);
    setTokenState(null);
    setStoredUser(null);
    queryClient.removeQueries({ queryKey: authKeys.me, exact: true });
    queryClient.removeQueries({ queryKey: ['orders'] });
  }, [queryClient]);

  useEffect(
    () =>
      onUnauthorized(() => {
        if (!getToken()) return;
        clearSession();
        setExpiredCount((n) => n + 1);
      }),
    [clearSession],
  );

  const signIn = useCallback(
    (newToken: string, user: SessionUser) => {
      setToken(newToken);
      storeUser(user);
      setTokenState(newToken);
      setStoredUser(user);
      queryClient.setQueryData(authKeys.me, undefined);
    },
    [queryClient],
  );

  const signOut = useCallback(async () => {
    try {
      if (getToken()) await logoutRequest();
    } catch {
      // The token is dropped locally whatever the server said.
    } finally {
      clearSession();
    }
  }, [clearSession]);

  const user: SessionUser | null = token ? (me.data ?? storedUser) : null;
  const value = useMemo<AuthState>(
    () => ({ token, user, loading: token !== null && user === null && me.isPending, signIn, signOut, expiredCount }),
    [token, user, me.isPending, signIn, signOut, expiredCount],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth must be used inside <AuthProvider>');
  return ctx;
}
