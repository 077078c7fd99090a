import { useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { Alert } from '@/components/ui/alert';
import { Button, ButtonLink } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/field';
import { EmptyState, ErrorState, LoadingState } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { useAuth } from '@/features/auth/auth-provider';
import { availabilityQueryOptions, useAvailability } from '@/features/event-date/api/get-availability';
import { useEventDate } from '@/features/event-date/api/get-event-date';
import type { ConflictNotice } from '@/features/event-date/components/event-date-page';
import { EventDateHeader } from '@/features/event-date/components/event-date-header';
import { OrderSummary, type SummaryLine } from '@/features/event-date/components/order-summary';
import { tierLabel } from '@/features/event-date/seat-map/colors';
import { clampQuantities, gaSummary, indexSeats, pruneSeats, seatName, seatSummary } from '@/features/event-date/selection';
import { focusFirstInvalid } from '@/lib/focus-first-invalid';
import { isApiError, type ApiError } from '@/lib/api/errors';
import type { Availability, BookingRequest } from '@/lib/api/types';
import { formatMoney } from '@/lib/format';
import { uuid } from '@/lib/uuid';
import { usePageTitle } from '@/lib/use-page-title';
import { useCreateBooking } from '../api/create-booking';
import { useDraft, writeDraft, type Draft } from '../draft';

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
      <CheckoutForm eventDateId={id} draft={draft} availability={availability.data} summary={lines} />
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

function bookingBody(eventDateId: number, draft: Draft, customerName: string, paymentSource: string, availability: Availability): BookingRequest {
  const base = { eventDateId, customerName, paymentSource };
  if (draft.kind === 'GA') {
    return {
      ...base,
      tiers: Object.entries(draft.quantities)
        .filter(([, q]) => q > 0)
        .map(([ticketTypeId, quantity]) => ({ ticketTypeId: Number(ticketTypeId), quantity })),
    };
  }
  const index = availability.seatingMode === 'SEATED' ? indexSeats(availability.sections) : new Map();
  return {
    ...base,
    seats: draft.seatIds.map((seatId) => ({ seatId, ticketTypeId: index.get(seatId)?.seat.ticketTypeId })),
  };
}

function CheckoutForm({
  eventDateId,
  draft,
  availability,
  summary,
}: {
  eventDateId: number;
  draft: Draft;
  availability: Availability;
  summary: Summary;
}) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const toast = useToast();
  const queryClient = useQueryClient();
  const booking = useCreateBooking(user?.id);
  const paymentId = useId();
  const [customerName, setCustomerName] = useState(() => (user ? `${user.firstName} ${user.lastName}`.trim() : ''));
  const [paymentSource, setPaymentSource] = useState<string>(PAYMENT_SOURCES[0].value);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'customerName' | 'paymentSource', string>>>({});
  const [failure, setFailure] = useState<{ error: ApiError | null; retryable: boolean } | null>(null);
  const [resolvingConflict, setResolvingConflict] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  // One key per checkout attempt. It survives retries of the same request
  // (double click, dropped connection) and is renewed once an answer is final.
  const attemptKey = useRef<string>(uuid());
  const body = useMemo(
    () => bookingBody(eventDateId, draft, customerName.trim(), paymentSource, availability),
    [eventDateId, draft, customerName, paymentSource, availability],
  );

  async function handleConflict(error: ApiError) {
    setResolvingConflict(true);
    // A fetch already in flight may predate the sale: cancel it and read anew.
    const refetch = async (): Promise<Availability | null> => {
      const key = availabilityQueryOptions(eventDateId).queryKey;
      await queryClient.refetchQueries({ queryKey: key, exact: true, type: 'all' }, { cancelRefetch: true });
      const state = queryClient.getQueryState(key);
      return state?.status === 'success' && state.fetchStatus === 'idle' ? (queryClient.getQueryData(key) ?? null) : null;
    };
    let fresh = await refetch();
    const stillFree = (a: Availability | null) =>
      error.code === 'SEAT_ALREADY_TAKEN' && draft.kind === 'SEATED' && a?.seatingMode === 'SEATED'
        ? pruneSeats(draft.seatIds, indexSeats(a.sections)).lost.length === 0
        : false;
    if (fresh === null || stillFree(fresh)) {
      // The sale may be a moment from showing up (another server process): look once more.
      await new Promise((resolve) => setTimeout(resolve, 600));
      fresh = (await refetch()) ?? fresh;
    }
    let notice: ConflictNotice;
    if (error.code === 'SEAT_ALREADY_TAKEN' && draft.kind === 'SEATED' && fresh?.seatingMode === 'SEATED') {
      const { kept, lost } = pruneSeats(draft.seatIds, indexSeats(fresh.sections));
      writeDraft(eventDateId, kept.length ? { kind: 'SEATED', seatIds: kept } : null);
      const names = lost.map(seatName).join('; ');
      notice = {
        title: lost.length > 1 ? 'Some of your seats were just taken' : 'A seat you picked was just taken',
        message: `${names || 'One of your seats'} ${lost.length > 1 ? 'were' : 'was'} booked by someone else while you were checking out. We refreshed the map and removed ${lost.length > 1 ? 'them' : 'it'} from your selection${kept.length ? '; your other seats are still selected' : ''}. Nothing was charged. Pick another seat to continue.`,
      };
    } else if (error.code === 'INSUFFICIENT_INVENTORY' && draft.kind === 'GA' && fresh?.seatingMode === 'GA') {
      const { quantities, reduced } = clampQuantities(fresh.tiers, draft.quantities);
      writeDraft(eventDateId, Object.keys(quantities).length ? { kind: 'GA', quantities } : null);
      const left = reduced.map((r) => `${r.tier.remaining === 0 ? 'no' : `only ${r.tier.remaining}`} ${tierLabel(r.tier.name)} ${r.tier.remaining === 1 ? 'ticket' : 'tickets'}`);
      notice = {
        title: error.message,
        message: `${left.length ? `There ${reduced[0]!.tier.remaining === 1 ? 'is' : 'are'} ${left.join(' and ')} left. ` : ''}We updated your quantities to what is available. Nothing was charged.`,
      };
    } else {
      notice = { title: 'Tickets changed while you were checking out', message: `${error.message} We refreshed what is available.` };
    }
    toast({ title: notice.title, tone: 'error' });
    navigate(`/event-dates/${eventDateId}`, { state: { conflict: notice } });
  }

  function submit(e?: FormEvent) {
    e?.preventDefault();
    if (booking.isPending || resolvingConflict) return;
    const errors: typeof fieldErrors = {};
    if (!customerName.trim()) errors.customerName = 'Enter the name to print on the tickets.';
    else if (customerName.trim().length > 200) errors.customerName = 'Use at most 200 characters.';
    setFieldErrors(errors);
    if (Object.keys(errors).length) {
      focusFirstInvalid(formRef.current);
      return;
    }
    setFailure(null);
    booking.mutate(
      { body, idempotencyKey: attemptKey.current },
      {
        onSuccess: (res) => {
          attemptKey.current = uuid();
          writeDraft(eventDateId, null);
          toast({ title: 'Booking confirmed', description: `Order #${res.orderId} · ${formatMoney(res.totalAmount)}`, tone: 'success' });
          navigate(`/orders/${res.orderId}`, { state: { justBooked: true } });
        },
        onError: (err) => {
          const error = isApiError(err) ? err : null;
          const retryable = !error || error.isNetworkError || error.status >= 500 || error.code === 'RATE_LIMITED';
          // A final answer ends this attempt: the next press is a new request with a new key.
          if (!retryable) attemptKey.current = uuid();
          if (error && (error.code === 'SEAT_ALREADY_TAKEN' || error.code === 'INSUFFICIENT_INVENTORY')) {
            void handleConflict(error);
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
  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
      <Card className="p-5 sm:p-6">
        <form ref={formRef} noValidate onSubmit={submit} className="flex flex-col gap-5" aria-labelledby="checkout-heading">
          <h2 id="checkout-heading" className="text-xl font-semibold text-stone-900">
            Checkout
          </h2>
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
          <Button type="submit" size="lg" loading={busy}>
            {resolvingConflict ? 'Checking availability…' : booking.isPending ? 'Booking…' : `Pay ${formatMoney(summary.total)}`}
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
