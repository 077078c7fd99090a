import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useNavigate } from 'react-router';
import { useToast } from '@/components/ui/toast';
import { availabilityQueryOptions } from '@/features/event-date/api/get-availability';
import type { ConflictNotice } from '@/features/event-date/components/event-date-page';
import { tierLabel } from '@/features/event-date/seat-map/colors';
import { clampQuantities, indexSeats, pruneSeats, seatName } from '@/features/event-date/selection';
import type { ApiError } from '@/lib/api/errors';
import type { Availability } from '@/lib/api/types';
import { writeDraft, type Draft } from './draft';

export function isConflict(error: ApiError | null): boolean {
  return !!error && (error.code === 'SEAT_ALREADY_TAKEN' || error.code === 'INSUFFICIENT_INVENTORY');
}

/**
 * After a 409 (booking or hold): reads availability anew, drops the lost seats
 * or lowers the quantities, and takes the person back to the map with a notice
 * saying what changed.
 */
export function useResolveConflict(eventDateId: number) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  return useCallback(
    async (error: ApiError, draft: Draft) => {
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
    },
    [eventDateId, queryClient, navigate, toast],
  );
}
