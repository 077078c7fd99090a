import { useMutation, useQueryClient } from '@tanstack/react-query';
import { eventKeys } from '@/features/events/api/get-events';
import { eventDateKeys } from '@/features/event-date/api/get-event-date';
import { orderKeys } from '@/features/orders/api/get-orders';
import { api } from '@/lib/api/client';
import { unwrap } from '@/lib/api/errors';
import type { BookingRequest, BookingResponse } from '@/lib/api/types';

export interface CreateBookingInput {
  body: BookingRequest;
  /** One UUID per checkout attempt: a double click or a retry books once. */
  idempotencyKey: string;
}

export function createBooking({ body, idempotencyKey }: CreateBookingInput): Promise<BookingResponse> {
  return unwrap(
    api.POST('/api/bookings', {
      body,
      params: { header: { 'Idempotency-Key': idempotencyKey } },
    }),
  );
}

export function useCreateBooking(userId: number | undefined) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createBooking,
    onSuccess: (_data, { body }) => {
      // Inventory changed for this date, and so did the lists that show it.
      void queryClient.invalidateQueries({ queryKey: eventDateKeys.availability(body.eventDateId), exact: true });
      void queryClient.invalidateQueries({ queryKey: eventKeys.list, exact: true });
      if (userId !== undefined) void queryClient.invalidateQueries({ queryKey: orderKeys.list(userId), exact: true });
    },
  });
}
