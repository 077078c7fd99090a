import type { OrderTicket } from '@/lib/api/types';
import { tierLabel } from '@/features/event-date/seat-map/colors';
import { formatDateTime } from '@/lib/format';

export function TicketList({ tickets }: { tickets: readonly OrderTicket[] }) {
  return (
    <ul className="grid gap-3 sm:grid-cols-2" aria-label="Tickets">
      {tickets.map((t) => (
        <li key={t.id} className="flex overflow-hidden rounded-lg border border-stone-200 bg-white">
          <div className="w-2 shrink-0 bg-brand-700" aria-hidden="true" />
          <div className="flex flex-1 flex-col gap-0.5 p-3 text-sm">
            <p className="font-semibold text-stone-900">{t.eventTitle}</p>
            <p className="text-stone-700">
              <time dateTime={t.eventDate}>{formatDateTime(t.eventDate)}</time>
            </p>
            <p className="text-stone-800">
              {tierLabel(t.ticketType)}
              {t.seatLabel ? ` · Seat ${t.seatLabel}` : ' · General admission'}
            </p>
            <p className="text-xs text-stone-600">Ticket #{t.id}</p>
          </div>
        </li>
      ))}
    </ul>
  );
}
