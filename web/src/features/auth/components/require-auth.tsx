import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { LoadingState } from '@/components/ui/states';
import { useAuth } from '../auth-provider';

export function RequireAuth({ children }: { children: ReactNode }) {
  const { token, user, loading } = useAuth();
  const location = useLocation();
  if (!token) {
    const returnTo = location.pathname + location.search;
    return <Navigate to={`/login?returnTo=${encodeURIComponent(returnTo)}`} replace />;
  }
  if (loading || !user) return <LoadingState label="Checking your session…" />;
  return <>{children}</>;
}
