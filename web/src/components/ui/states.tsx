import type { ReactNode } from 'react';
import { isApiError } from '@/lib/api/errors';
import { cn } from '@/lib/cn';
import { Button } from './button';
import { Spinner } from './spinner';

export function LoadingState({ label = 'Loading…', className }: { label?: string; className?: string }) {
  return (
    <div role="status" className={cn('flex items-center justify-center gap-3 py-16 text-stone-600', className)}>
      <Spinner className="size-5 text-brand-700" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorState({
  title = 'Something went wrong',
  error,
  onRetry,
  retrying,
  className,
}: {
  title?: string;
  error: unknown;
  onRetry?: () => void;
  retrying?: boolean;
  className?: string;
}) {
  const offline = isApiError(error) && (error.isNetworkError || error.status >= 500);
  const message = offline
    ? 'We could not reach Ticketbooth. Check your connection and try again.'
    : isApiError(error)
      ? error.message
      : 'An unexpected error occurred.';
  return (
    <div
      role="alert"
      className={cn('mx-auto flex max-w-md flex-col items-center gap-3 rounded-xl border border-red-200 bg-red-50 px-6 py-8 text-center', className)}
    >
      <h2 className="text-lg font-semibold text-red-900">{offline ? 'Connection problem' : title}</h2>
      <p className="text-sm text-red-900">{message}</p>
      {onRetry && (
        <Button variant="secondary" onClick={onRetry} loading={retrying}>
          Try again
        </Button>
      )}
    </div>
  );
}

export function EmptyState({ title, children, className }: { title: string; children?: ReactNode; className?: string }) {
  return (
    <div className={cn('mx-auto flex max-w-md flex-col items-center gap-3 rounded-xl border border-dashed border-stone-300 bg-white px-6 py-10 text-center', className)}>
      <h2 className="text-lg font-semibold text-stone-800">{title}</h2>
      {children && <div className="text-sm text-stone-600">{children}</div>}
    </div>
  );
}
