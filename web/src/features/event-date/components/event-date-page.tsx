import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState, type MouseEvent } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router';
import { Alert } from '@/components/ui/alert';
import { Button, ButtonLink } from '@/components/ui/button';
import { ErrorState, LoadingState } from '@/components/ui/states';
import { useAuth } from '@/features/auth/auth-provider';
import { forgetHold, isOurHold, markPlacingHold, readStoredHold, releaseHold, usePlaceHold } from '@/features/booking/api/holds';
import { readDraft, useDraft, type Draft } from '@/features/booking/draft';
import { isConflict, useResolveConflict } from '@/features/booking/resolve-conflict';
import type { EventDateDetail, GaAvailability, SeatedAvailability } from '@/lib/api/types';
import { formatMoney } from '@/lib/format';
import { NotFoundPage } from '@/components/not-found-page';
import { isApiError } from '@/lib/api/errors';
import { usePageTitle } from '@/lib/use-page-title';
import { useAvailability } from '../api/get-availability';
import { eventDateKeys, useEventDate } from '../api/get-event-date';
import { useLiveAvailability } from '../api/live-availability';
import { tierLabel } from '../seat-map/colors';
import { SeatMap } from '../seat-map/seat-map';
import { clampQuantities, gaSummary, indexSeats, pruneSeats, seatName, seatSummary, type Quantities } from '../selection';
import { EventDateHeader } from './event-date-header';
import { GaTierPicker } from './ga-tier-picker';
import { OrderSummary } from './order-summary';
import { PickSeatsForm } from './pick-seats-form';

export interface ConflictNotice {
  title: string;
  message: string;
}

export function EventDatePage() {
  const params = useParams();
  const id = Number(params.eventDateId);
  const detail = useEventDate(id);
  const availability = useAvailability(id);
  useLiveAvailability(id, detail.isSuccess);
  const location = useLocation();
  const navigate = useNavigate();
  usePageTitle(detail.data?.event.title);
  const releasing = useReleaseHoldOnReturn(id);
  const conflict = (location.state as { conflict?: ConflictNotice } | null)?.conflict;

  if (!Number.isInteger(id) || id <= 0) return <NotFoundPage />;
  if (detail.isPending) return <LoadingState label="Loading event…" />;
  if (detail.isError) {
    if (isApiError(detail.error) && detail.error.status === 404) return <NotFoundPage what="event date" />;
    return <ErrorState title="This event could not be loaded" error={detail.error} onRetry={() => detail.refetch()} retrying={detail.isFetching} />;
  }

  return (
    <div className="flex flex-col gap-6">
      <EventDateHeader detail={detail.data} />
      {conflict && (
        <Alert
          tone="warning"
          title={conflict.title}
          action={
            <Button variant="secondary" size="sm" onClick={() => navigate('.', { replace: true, state: null })}>
              Dismiss
            </Button>
          }
        >
          {conflict.message}
        </Alert>
      )}
      {availability.isPending ? (
        <LoadingState label={detail.data.seatingMode === 'SEATED' ? 'Loading seat map…' : 'Loading tickets…'} />
      ) : availability.isError ? (
        <ErrorState
          title="Tickets could not be loaded"
          error={availability.error}
          onRetry={() => availability.refetch()}
          retrying={availability.isFetching}
        />
      ) : availability.data.seatingMode === 'GA' ? (
        <GaSection detail={detail.data} availability={availability.data} releasing={releasing} />
      ) : (
        <SeatedSection detail={detail.data} availability={availability.data} releasing={releasing} />
      )}
    </div>
  );
}

function useGaDraft(id: number) {
  const [draft, setDraft] = useDraft(id);
  const quantities = draft?.kind === 'GA' ? draft.quantities : {};
  const setQuantities = useCallback(
    (q: Quantities) => setDraft(Object.keys(q).length ? { kind: 'GA', quantities: q } : null),
    [setDraft],
  );
  return [quantities, setQuantities] as const;
}

/**
 * Coming back from checkout gives the held tickets back: the person is
 * choosing again, and a new hold is placed on the way to checkout. Until the
 * release is through, the selection is not pruned (the seats are held by us).
 */
function useReleaseHoldOnReturn(id: number): boolean {
  const queryClient = useQueryClient();
  const [releasing, setReleasing] = useState(() => readStoredHold(id) !== null);
  useEffect(() => {
    const stored = readStoredHold(id);
    if (!stored) return;
    forgetHold(id);
    releaseHold(stored.holdId)
      .catch(() => undefined)
      .finally(() => {
        void queryClient.invalidateQueries({ queryKey: eventDateKeys.availability(id), exact: true });
        setReleasing(false);
      });
  }, [id, queryClient]);
  return releasing;
}

function GaSection({ detail, availability, releasing }: { detail: EventDateDetail; availability: GaAvailability; releasing: boolean }) {
  const [quantities, setQuantities] = useGaDraft(detail.id);
  const [notice, setNotice] = useState<string | null>(null);
  const { tiers } = availability;

  // When fresh availability shows fewer tickets than chosen, shrink the choice and say so.
  useEffect(() => {
    // Our own hold took these tickets out of `remaining`: nothing to shrink.
    if (releasing || isOurHold(detail.id, readDraft(detail.id))) return;
    const { quantities: clamped, reduced } = clampQuantities(tiers, quantities);
    if (reduced.length) {
      setQuantities(clamped);
      setNotice(reduced.map((r) => `Only ${r.tier.remaining} ${tierLabel(r.tier.name)} left — your quantity is now ${r.to}.`).join(' '));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tiers, releasing]);

  const summary = gaSummary(tiers, quantities);
  const soldOut = tiers.every((t) => t.remaining === 0);

  return (
    <div className={soldOut ? 'grid max-w-3xl gap-6' : 'grid gap-6 lg:grid-cols-[1fr_22rem]'}>
      <section aria-labelledby="tiers-heading" className="flex flex-col gap-3">
        <h2 id="tiers-heading" className="text-lg font-semibold text-stone-900">
          Tickets
        </h2>
        {soldOut ? (
          <Alert tone="info" title="Sold out">
            Every ticket for this date has been sold.
          </Alert>
        ) : (
          <p className="text-sm text-stone-700">Up to {detail.maxTicketsPerOrder} tickets per order.</p>
        )}
        {notice && <Alert tone="warning">{notice}</Alert>}
        <GaTierPicker tiers={tiers} quantities={quantities} maxPerOrder={detail.maxTicketsPerOrder} onChange={setQuantities} />
      </section>
      {!soldOut && (
      <aside className="lg:sticky lg:top-4 lg:self-start">
        <OrderSummary
          lines={summary.lines.map((l) => ({
            key: String(l.tier.id),
            label: `${l.quantity} × ${tierLabel(l.tier.name)}`,
            detail: `${formatMoney(l.tier.price)} each`,
            amount: l.subtotal,
          }))}
          count={summary.count}
          total={summary.total}
          emptyText="Choose how many tickets you want."
          footer={<CheckoutLink id={detail.id} disabled={summary.count === 0 || releasing} />}
        />
      </aside>
      )}
    </div>
  );
}

function SeatedSection({ detail, availability, releasing }: { detail: EventDateDetail; availability: SeatedAvailability; releasing: boolean }) {
  const [draft, setDraft] = useDraft(detail.id);
  const seatIds = useMemo(() => (draft?.kind === 'SEATED' ? draft.seatIds : []), [draft]);
  const selected = useMemo(() => new Set(seatIds), [seatIds]);
  const index = useMemo(() => indexSeats(availability.sections), [availability.sections]);
  const [notice, setNotice] = useState<{ tone: 'warning' | 'info'; text: string } | null>(null);
  const max = detail.maxTicketsPerOrder;

  const writeSeats = useCallback(
    (update: (ids: number[]) => number[]) =>
      setDraft((current: Draft | null) => {
        const ids = update(current?.kind === 'SEATED' ? current.seatIds : []);
        return ids.length ? { kind: 'SEATED', seatIds: ids } : null;
      }),
    [setDraft],
  );

  // Seats taken by someone else meanwhile leave the selection, with a word about it.
  useEffect(() => {
    // Seats held by our own hold show as held on the live map: they are not lost.
    if (releasing || isOurHold(detail.id, draft)) return;
    const { kept, lost } = pruneSeats(seatIds, index);
    if (lost.length) {
      writeSeats(() => kept);
      setNotice({
        tone: 'warning',
        text: `${lost.map(seatName).join('; ')} ${lost.length === 1 ? 'was' : 'were'} just taken by someone else and removed from your selection.`,
      });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [index, releasing]);

  const onToggle = useCallback(
    (seatId: number) => {
      writeSeats((ids) => {
        if (ids.includes(seatId)) return ids.filter((x) => x !== seatId);
        if (ids.length >= max) {
          setNotice({ tone: 'info', text: `You can book up to ${max} seats per order. Remove one to pick another.` });
          return ids;
        }
        return [...ids, seatId];
      });
    },
    [writeSeats, max],
  );

  const summary = seatSummary(seatIds, index);
  const soldOut = useMemo(() => [...index.values()].every((i) => !i.seat.available), [index]);

  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_20rem]">
      <section aria-labelledby="seats-heading" className="flex min-w-0 flex-col gap-3">
        <h2 id="seats-heading" className="text-lg font-semibold text-stone-900">
          Choose your seats
        </h2>
        {soldOut && (
          <Alert tone="info" title="Sold out">
            Every seat for this date has been sold.
          </Alert>
        )}
        {notice && (
          <Alert tone={notice.tone} action={<Button variant="ghost" size="sm" onClick={() => setNotice(null)}>Dismiss</Button>}>
            {notice.text}
          </Alert>
        )}
        <SeatMap sections={availability.sections} selected={selected} onToggle={onToggle} />
      </section>
      <aside className="flex flex-col gap-4 lg:sticky lg:top-4 lg:self-start">
        <OrderSummary
          title={`Your seats (${summary.count}/${max})`}
          lines={summary.lines.map((info) => ({
            key: String(info.seat.seatId),
            label: `${info.section} · Row ${info.row} · Seat ${info.seat.number}`,
            detail: `${tierLabel(info.seat.ticketType)}${info.seat.accessible ? ' · Wheelchair accessible' : ''}`,
            amount: info.seat.price,
            onRemove: () => onToggle(info.seat.seatId),
            removeLabel: `Remove ${seatName(info)}`,
          }))}
          count={summary.count}
          total={summary.total}
          emptyText="Pick seats on the map."
          footer={
            <div className="flex flex-col gap-2">
              <CheckoutLink id={detail.id} disabled={summary.count === 0 || releasing} />
              {summary.count > 0 && (
                <Button variant="ghost" size="sm" onClick={() => writeSeats(() => [])}>
                  Clear selection
                </Button>
              )}
            </div>
          }
        />
        {!releasing && <PickSeatsForm eventDateId={detail.id} sections={availability.sections} maxPerOrder={max} />}
      </aside>
    </div>
  );
}

/**
 * Goes to checkout, holding the selection on the way (when logged in; after
 * logging in, checkout places the hold itself). A 409 is handled like one on
 * paying: the map is refreshed and the notice says what was lost.
 */
function CheckoutLink({ id, disabled }: { id: number; disabled: boolean }) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const placeHold = usePlaceHold(id);
  const resolveConflict = useResolveConflict(id);
  const [pending, setPending] = useState(false);
  if (disabled) {
    return (
      <Button size="lg" disabled className="w-full">
        Continue to checkout
      </Button>
    );
  }
  const to = `/event-dates/${id}/checkout`;
  async function onClick(e: MouseEvent<HTMLAnchorElement>) {
    if (!user || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    const draft = readDraft(id);
    if (pending || !draft) return;
    setPending(true);
    markPlacingHold(id, true);
    try {
      const name = `${user.firstName} ${user.lastName}`;
      await placeHold(draft, name);
      navigate(to);
    } catch (err) {
      const error = isApiError(err) ? err : null;
      if (isConflict(error)) await resolveConflict(error!, draft);
      // Anything else: checkout tries again and shows what went wrong.
      else if (error?.code !== 'UNAUTHORIZED') navigate(to);
    } finally {
      markPlacingHold(id, false); // from here on the stored hold says which seats are ours
      setPending(false);
    }
  }
  return (
    <ButtonLink to={to} size="lg" className="w-full" onClick={onClick} aria-busy={pending || undefined}>
      {pending ? 'Holding your tickets…' : 'Continue to checkout'}
    </ButtonLink>
  );
}
