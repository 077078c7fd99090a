import { Link } from 'react-router';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { EmptyState, ErrorState, LoadingState } from '@/components/ui/states';
import type { EventDateSummary, EventSummary } from '@/lib/api/types';
import { formatDateTime, formatMoney } from '@/lib/format';
import { usePageTitle } from '@/lib/use-page-title';
import { useEvents } from '../api/get-events';

export function EventsPage() {
  const events = useEvents();
  usePageTitle('Upcoming concerts');
  return (
    <div className="flex flex-col gap-6">
      <header>
        <h1 className="text-3xl font-semibold tracking-tight text-stone-900">Upcoming concerts</h1>
        <p className="mt-1 text-stone-700">Pick a date to see tickets and seats.</p>
      </header>
      {events.isPending ? (
        <LoadingState label="Loading events…" />
      ) : events.isError ? (
        <ErrorState title="Events could not be loaded" error={events.error} onRetry={() => events.refetch()} retrying={events.isFetching} />
      ) : events.data.length === 0 ? (
        <EmptyState title="No upcoming events">New concerts are announced regularly — check back soon.</EmptyState>
      ) : (
        <ul className="flex flex-col gap-5" aria-label="Events">
          {events.data.map((event) => (
            <li key={event.id}>
              <EventCard event={event} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function EventCard({ event }: { event: EventSummary }) {
  const headingId = `event-${event.id}-title`;
  return (
    <Card className="overflow-hidden">
      <article aria-labelledby={headingId}>
        <div className="border-b border-stone-200 p-5">
          <h2 id={headingId} className="text-xl font-semibold text-stone-900">
            {event.title}
          </h2>
          {event.description && <p className="mt-1 text-sm text-stone-700">{event.description}</p>}
        </div>
        {event.dates.length === 0 ? (
          <p className="p-5 text-sm text-stone-700">No dates announced yet.</p>
        ) : (
          <ul className="divide-y divide-stone-200" aria-label={`Dates for ${event.title}`}>
            {event.dates.map((d) => (
              <li key={d.id}>
                <DateRow date={d} eventTitle={event.title} />
              </li>
            ))}
          </ul>
        )}
      </article>
    </Card>
  );
}

function DateRow({ date, eventTitle }: { date: EventDateSummary; eventTitle: string }) {
  return (
    <div className="flex flex-col gap-3 p-5 sm:flex-row sm:items-center sm:justify-between">
      <div className="min-w-0">
        <p className="font-medium text-stone-900">
          <time dateTime={date.date}>{formatDateTime(date.date)}</time>
        </p>
        <p className="mt-0.5 flex flex-wrap items-center gap-2 text-sm text-stone-700">
          <span>{date.venueName}</span>
          <Badge tone={date.seatingMode === 'SEATED' ? 'violet' : 'brand'}>
            {date.seatingMode === 'SEATED' ? 'Seated' : 'General admission'}
          </Badge>
        </p>
      </div>
      <div className="flex items-center justify-between gap-4 sm:justify-end">
        {date.soldOut ? (
          <Badge tone="danger">Sold out</Badge>
        ) : date.priceFrom !== null ? (
          <p className="text-sm text-stone-700">
            from <span className="text-base font-semibold text-stone-900">{formatMoney(date.priceFrom)}</span>
          </p>
        ) : null}
        <Link
          to={`/event-dates/${date.id}`}
          aria-label={`${date.soldOut ? 'View' : 'Get tickets for'} ${eventTitle} on ${formatDateTime(date.date)}`}
          className={
            date.soldOut
              ? 'inline-flex h-10 items-center rounded-lg border border-stone-300 bg-white px-4 text-sm font-medium text-stone-800 hover:bg-stone-100'
              : 'inline-flex h-10 items-center rounded-lg bg-brand-700 px-4 text-sm font-medium text-white hover:bg-brand-800'
          }
        >
          {date.soldOut ? 'View' : 'Get tickets'}
        </Link>
      </div>
    </div>
  );
}
