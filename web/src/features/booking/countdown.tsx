import { useEffect, useState } from 'react';

/** 605_000 ms -> "10:05"; never negative; seconds rounded up so 0:00 means expired. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
}

/** Words for screen readers: "9 minutes left", "45 seconds left". */
export function spokenCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total === 0) return 'Your hold has expired.';
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  const parts = [];
  if (minutes) parts.push(`${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`);
  if (seconds) parts.push(`${seconds} ${seconds === 1 ? 'second' : 'seconds'}`);
  return `${parts.join(' ')} left to complete your booking.`;
}

/**
 * What a screen reader is told, at most every 15 seconds: every whole minute
 * while more than a minute is left, then every 15 seconds.
 */
export function announcementBucket(ms: number): number {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total > 60) return Math.ceil(total / 60) * 60;
  return Math.ceil(total / 15) * 15;
}

/** Milliseconds left until `expiresAt`, refreshed every second; reports 0 once. */
export function useTimeLeft(expiresAt: string | null, onExpire?: () => void): number {
  const deadline = expiresAt ? Date.parse(expiresAt) : NaN;
  const [now, setNow] = useState(() => Date.now());
  const left = Number.isFinite(deadline) ? Math.max(0, deadline - now) : 0;
  useEffect(() => {
    if (!Number.isFinite(deadline)) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [deadline]);
  const expired = Number.isFinite(deadline) && left <= 0;
  useEffect(() => {
    if (expired) onExpire?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [expired]);
  return left;
}

/** The visible mm:ss countdown (every second) with a calmer live region for screen readers. */
export function HoldCountdown({ msLeft }: { msLeft: number }) {
  const bucket = announcementBucket(msLeft);
  const [spoken, setSpoken] = useState(() => spokenCountdown(msLeft));
  useEffect(() => {
    setSpoken(spokenCountdown(bucket * 1000));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [bucket]);
  const urgent = msLeft <= 60_000;
  return (
    <div
      className={
        urgent
          ? 'flex items-center justify-between gap-3 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-amber-950'
          : 'flex items-center justify-between gap-3 rounded-lg border border-brand-100 bg-brand-50 px-4 py-3 text-stone-900'
      }
    >
      <p className="text-sm">
        <span className="font-semibold">Your tickets are held for you.</span> Complete your booking before the time runs out.
      </p>
      <p className="flex flex-col items-end">
        <span className="text-xs text-stone-700" id="hold-timer-label">
          Time left
        </span>
        <span role="timer" aria-labelledby="hold-timer-label" aria-live="off" className="font-mono text-2xl font-semibold tabular-nums" data-testid="hold-countdown">
          {formatCountdown(msLeft)}
        </span>
      </p>
      <p className="sr-only" aria-live="polite" aria-atomic="true">
        {spoken}
      </p>
    </div>
  );
}
