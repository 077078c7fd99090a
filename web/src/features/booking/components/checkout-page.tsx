import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { Alert } from '@/components/ui/alert';
import { Button, ButtonLink } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/field';
import { EmptyState, ErrorState, LoadingState } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { useAuth } from '@/features/auth/auth-provider';
import { useAvailability } from '@/features/event-date/api/get-availability';
import { useEventDate } from '@/features/event-date/api/get-event-date';
import { EventDateHeader } from '@/features/event-date/components/event-date-header';
import { OrderSummary, type SummaryLine } from '@/features/event-date/components/order-summary';
import { tierLabel } from '@/features/event-date/seat-map/colors';
import { gaSummary, indexSeats, seatSummary } from '@/features/event-date/selection';
import { focusFirstInvalid } from '@/lib/focus-first-invalid';
import { isApiError, type ApiError } from '@/lib/api/errors';
import type { Availability, BookingRequest } from '@/lib/api/types';
import { formatMoney } from '@/lib/format';
import { uuid } from '@/lib/uuid';
import { usePageTitle } from '@/lib/use-page-title';
import { useCreateBooking } from '../api/create-booking';
import { draftKey, forgetHold, readStoredHold, usePlaceHold, type StoredHold } from '../api/holds';
import { HoldCountdown, useTimeLeft } from '../countdown';
import { useDraft, writeDraft, type Draft } from '../draft';
import { isConflict, useResolveConflict } from '../resolve-conflict';

export const PAYMENT_SOURCES = [
  { value: 'tok_visa', label: 'Test Visa card', detail: 'ending 4242' },
  { value: 'tok_mastercard', label: 'Test Mastercard', detail: 'ending 4444' },
  { value: 'wallet_demo', label: 'Demo wallet', detail: 'simulated balance' },
] as const;

export function CheckoutPage() {
  const id = Number(useParams().eventDateId);
  const detail = useEventDate(id);
  const availability = useAvailability(id);
  const [draft] = useDraft(id);
  usePageTitle(detail.data ? `Checkout: ${detail.data.event.title}` : 'Checkout');

  if (detail.isPending || availability.isPending) return <LoadingState label="Loading checkout…" />;
  if (detail.isError || availability.isError) {
    const failed = detail.isError ? detail : availability;
    return <ErrorState title="Checkout could not be loaded" error={failed.error} onRetry={() => failed.refetch()} retrying={failed.isFetching} />;
  }
  const lines = summarize(draft, availability.data);
  if (!draft || lines.count === 0) {
    return (
      <EmptyState title="Nothing to check out yet">
        <p>Choose tickets or seats first.</p>
        <ButtonLink to={`/event-dates/${id}`} variant="primary" className="mt-4">
          Choose tickets
        </ButtonLink>
      </EmptyState>
    );
  }
  return (
    <div className="flex flex-col gap-6">
      <nav aria-label="Breadcrumb">
        <Link to={`/event-dates/${id}`} className="text-sm font-medium text-brand-700 underline underline-offset-2">
          ← Back to {detail.data.seatingMode === 'SEATED' ? 'the seat map' : 'tickets'}
        </Link>
      </nav>
      <EventDateHeader detail={detail.data} />
      <CheckoutForm eventDateId={id} draft={draft} summary={lines} />
    </div>
  );
}

interface Summary {
  lines: SummaryLine[];
  count: number;
  total: number;
}

function summarize(draft: Draft | null, availability: Availability): Summary {
  if (draft?.kind === 'GA' && availability.seatingMode === 'GA') {
    const s = gaSummary(availability.tiers, draft.quantities);
    return {
      count: s.count,
      total: s.total,
      lines: s.lines.map((l) => ({
        key: String(l.tier.id),
        label: `${l.quantity} × ${tierLabel(l.tier.name)}`,
        detail: `${formatMoney(l.tier.price)} each`,
        amount: l.subtotal,
      })),
    };
  }
  if (draft?.kind === 'SEATED' && availability.seatingMode === 'SEATED') {
    const s = seatSummary(draft.seatIds, indexSeats(availability.sections));
    return {
      count: s.count,
      total: s.total,
      lines: s.lines.map((info) => ({
        key: String(info.seat.seatId),
        label: `${info.section} · Row ${info.row} · Seat ${info.seat.number}`,
        detail: tierLabel(info.seat.ticketType),
        amount: info.seat.price,
      })),
    };
  }
  return { lines: [], count: 0, total: 0 };
}

type HoldState =
  | { phase: 'placing' }
  | { phase: 'active'; hold: StoredHold }
  | { phase: 'expired'; reason: 'expired' | 'inactive' }
  | { phase: 'failed'; error: ApiError | null };

function initialHold(eventDateId: number, draft: Draft): HoldState {
  const stored = readStoredHold(eventDateId);
  if (!stored || stored.draftKey !== draftKey(draft)) return { phase: 'placing' };
  if (Date.parse(stored.expiresAt) <= Date.now()) return { phase: 'expired', reason: 'expired' };
  return { phase: 'active', hold: stored };
}

function CheckoutForm({
  eventDateId,
  draft,
  summary,
}: {
  eventDateId: number;
  draft: Draft;
  summary: Summary;
}) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const toast = useToast();
  const booking = useCreateBooking(user?.id);
  const placeHold = usePlaceHold(eventDateId);
  const resolveConflict = useResolveConflict(eventDateId);
  const paymentId = useId();
  const [customerName, setCustomerName] = useState(() => (user ? `${user.firstName} ${user.lastName}`.trim() : ''));
  const [paymentSource, setPaymentSource] = useState<string>(PAYMENT_SOURCES[0].value);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'customerName' | 'paymentSource', string>>>({});
  const [failure, setFailure] = useState<{ error: ApiError | null; retryable: boolean } | null>(null);
  const [resolvingConflict, setResolvingConflict] = useState(false);
  const [holdState, setHoldState] = useState<HoldState>(() => initialHold(eventDateId, draft));
  const formRef = useRef<HTMLFormElement>(null);
  // One key per checkout attempt. It survives retries of the same request
  // (double click, dropped connection) and is renewed once an answer is final.
  const attemptKey = useRef<string>(uuid());
  const placing = useRef(false);

  const hold = holdState.phase === 'active' ? holdState.hold : null;
  const msLeft = useTimeLeft(hold?.expiresAt ?? null, () => {
    setHoldState((s) => (s.phase === 'active' ? { phase: 'expired', reason: 'expired' } : s));
  });

  const conflict = useCallback(
    async (error: ApiError) => {
      setResolvingConflict(true);
      await resolveConflict(error, draft);
    },
    [resolveConflict, draft],
  );

  /** Places (or renews) the hold for the selection. */
  const hold_ = useCallback(async () => {
    if (placing.current) return;
    placing.current = true;
    setHoldState({ phase: 'placing' });
    setFailure(null);
    try {
      const stored = await placeHold(draft, customerName);
      attemptKey.current = uuid();
      setHoldState({ phase: 'active', hold: stored });
    } catch (err) {
      const error = isApiError(err) ? err : null;
      if (isConflict(error)) {
        void conflict(error!);
        return;
      }
      if (error?.code === 'UNAUTHORIZED') return;
      setHoldState({ phase: 'failed', error });
    } finally {
      placing.current = false;
    }
    // The name is only a placeholder on the hold: do not re-place it while typing.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [placeHold, draft, conflict]);

  // Arriving without a hold for this selection (after logging in, or a changed selection): place one.
  useEffect(() => {
    if (holdState.phase === 'placing') void hold_();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  function submit(e?: FormEvent) {
    e?.preventDefault();
    if (booking.isPending || resolvingConflict || !hold) return;
    const errors: typeof fieldErrors = {};
    if (!customerName.trim()) errors.customerName = 'Enter the name to print on the tickets.';
    else if (customerName.trim().length > 200) errors.customerName = 'Use at most 200 characters.';
    setFieldErrors(errors);
    if (Object.keys(errors).length) {
      focusFirstInvalid(formRef.current);
      return;
    }
    setFailure(null);
    const body: BookingRequest = { eventDateId, customerName: customerName.trim(), paymentSource, holdId: hold.holdId };
    booking.mutate(
      { body, idempotencyKey: attemptKey.current },
      {
        onSuccess: (res) => {
          attemptKey.current = uuid();
          forgetHold(eventDateId);
          writeDraft(eventDateId, null);
          toast({ title: 'Booking confirmed', description: `Order #${res.orderId} · ${formatMoney(res.totalAmount)}`, tone: 'success' });
          navigate(`/orders/${res.orderId}`, { state: { justBooked: true } });
        },
        onError: (err) => {
          const error = isApiError(err) ? err : null;
          const retryable = !error || error.isNetworkError || error.status >= 500 || error.code === 'RATE_LIMITED';
          // A final answer ends this attempt: the next press is a new request with a new key.
          if (!retryable) attemptKey.current = uuid();
          if (error?.code === 'HOLD_EXPIRED' || error?.code === 'HOLD_NOT_ACTIVE') {
            forgetHold(eventDateId);
            setHoldState({ phase: 'expired', reason: error.code === 'HOLD_EXPIRED' ? 'expired' : 'inactive' });
            return;
          }
          if (isConflict(error)) {
            void conflict(error!);
            return;
          }
          if (error?.code === 'UNAUTHORIZED') return; // the session watcher sends the person to log in
          if (error?.code === 'VALIDATION_ERROR' && (error.fields.customerName || error.fields.paymentSource)) {
            setFieldErrors({ customerName: error.fields.customerName, paymentSource: error.fields.paymentSource });
            return;
          }
          setFailure({ error, retryable });
        },
      },
    );
  }

  const busy = booking.isPending || resolvingConflict;
  const expired = holdState.phase === 'expired';
  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
      <Card className="p-5 sm:p-6">
        <form ref={formRef} noValidate onSubmit={submit} className="flex flex-col gap-5" aria-labelledby="checkout-heading">
          <h2 id="checkout-heading" className="text-xl font-semibold text-stone-900">
            Checkout
          </h2>
          {hold && <HoldCountdown msLeft={msLeft} />}
          {holdState.phase === 'placing' && !resolvingConflict && (
            <Alert tone="info" title="Holding your tickets…">
              We are reserving your {summary.count === 1 ? 'ticket' : 'tickets'} for a few minutes while you pay.
            </Alert>
          )}
          {expired && (
            <Alert
              tone="warning"
              title={holdState.reason === 'expired' ? 'Your hold expired and the seats were released' : 'Your hold is no longer active'}
              action={
                <Button variant="secondary" size="sm" onClick={() => void hold_()} loading={resolvingConflict}>
                  Renew hold
                </Button>
              }
            >
              {holdState.reason === 'expired'
                ? 'The time to pay ran out, so your tickets went back on sale. Nothing was charged. Renew the hold to try to get the same tickets again.'
                : 'Your tickets are no longer reserved for you. Nothing was charged. Renew the hold to try to get the same tickets again.'}
            </Alert>
          )}
          {holdState.phase === 'failed' && (
            <Alert
              tone="error"
              title="Your tickets could not be held"
              action={
                <Button variant="secondary" size="sm" onClick={() => void hold_()}>
                  Try again
                </Button>
              }
            >
              {holdState.error?.isNetworkError ? 'The connection dropped.' : (holdState.error?.message ?? 'Something went wrong.')}
            </Alert>
          )}
          {failure && <FailureAlert failure={failure} onRetry={() => submit()} busy={busy} />}
          <TextField
            label="Name on the tickets"
            name="customerName"
            autoComplete="name"
            value={customerName}
            onChange={(e) => {
              setCustomerName(e.target.value);
              if (fieldErrors.customerName) setFieldErrors((f) => ({ ...f, customerName: undefined }));
            }}
            error={fieldErrors.customerName}
          />
          <fieldset className="flex flex-col gap-2" aria-describedby={fieldErrors.paymentSource ? `${paymentId}-error` : `${paymentId}-hint`}>
            <legend className="mb-1 text-sm font-medium text-stone-800">Payment method</legend>
            <p id={`${paymentId}-hint`} className="text-xs text-stone-600">
              Payments are simulated: no real money moves.
            </p>
            {PAYMENT_SOURCES.map((source) => (
              <label
                key={source.value}
                className="flex cursor-pointer items-center gap-3 rounded-lg border border-stone-300 bg-white px-3 py-2.5 has-[:checked]:border-brand-700 has-[:checked]:bg-brand-50"
              >
                <input
                  type="radio"
                  name="paymentSource"
                  value={source.value}
                  checked={paymentSource === source.value}
                  onChange={() => setPaymentSource(source.value)}
                  className="size-4 accent-brand-700"
                />
                <span className="text-sm">
                  <span className="font-medium text-stone-900">{source.label}</span>{' '}
                  <span className="text-stone-700">{source.detail}</span>
                </span>
              </label>
            ))}
            {fieldErrors.paymentSource && (
              <p id={`${paymentId}-error`} className="text-sm font-medium text-red-700">
                {fieldErrors.paymentSource}
              </p>
            )}
          </fieldset>
          <Button type="submit" size="lg" loading={busy || holdState.phase === 'placing'} disabled={!hold}>
            {resolvingConflict
              ? 'Checking availability…'
              : booking.isPending
                ? 'Booking…'
                : holdState.phase === 'placing'
                  ? 'Holding your tickets…'
                  : `Pay ${formatMoney(summary.total)}`}
          </Button>
        </form>
      </Card>
      <aside className="lg:sticky lg:top-4 lg:self-start">
        <OrderSummary title="Order summary" lines={summary.lines} count={summary.count} total={summary.total} emptyText="" />
      </aside>
    </div>
  );
}

function FailureAlert({ failure, onRetry, busy }: { failure: { error: ApiError | null; retryable: boolean }; onRetry: () => void; busy: boolean }) {
  const { error, retryable } = failure;
  if (retryable) {
    return (
      <Alert
        tone="error"
        title={error?.isNetworkError ? 'The connection dropped' : 'Booking did not go through'}
        action={
          <Button variant="secondary" size="sm" onClick={onRetry} loading={busy}>
            Retry
          </Button>
        }
      >
        {error?.isNetworkError
          ? 'We could not confirm your booking. Retrying is safe: you will not be booked or charged twice.'
          : `${error?.message ?? 'Something went wrong.'} Retrying is safe: you will not be booked twice.`}
      </Alert>
    );
  }
  return (
    <Alert tone="error" title="Booking did not go through">
      {error?.message ?? 'Something went wrong.'}
    </Alert>
  );
}
