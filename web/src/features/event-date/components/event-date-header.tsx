import { Badge } from '@/components/ui/badge';
import type { EventDateDetail } from '@/lib/api/types';
import { formatDateTime } from '@/lib/format';

export function EventDateHeader({ detail }: { detail: EventDateDetail }) {
  return (
    <header className="flex flex-col gap-2">
      <h1 className="text-3xl font-semibold tracking-tight text-stone-900">{detail.event.title}</h1>
      <p className="flex flex-wrap items-center gap-x-3 gap-y-1 text-stone-700">
        <time dateTime={detail.date} className="font-medium text-stone-900">
          {formatDateTime(detail.date)}
        </time>
        <span aria-hidden="true" className="hidden sm:inline">·</span>
        <span>{detail.venue.name}</span>
        <Badge tone={detail.seatingMode === 'SEATED' ? 'violet' : 'brand'}>
          {detail.seatingMode === 'SEATED' ? 'Seated' : 'General admission'}
        </Badge>
      </p>
      {detail.event.description && <p className="max-w-3xl text-sm text-stone-700">{detail.event.description}</p>}
    </header>
  );
}
