import { useLocation, useParams } from 'react-router';
import { Alert } from '@/components/ui/alert';
import { ButtonLink } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { NotFoundPage } from '@/components/not-found-page';
import { ErrorState, LoadingState } from '@/components/ui/states';
import { isApiError } from '@/lib/api/errors';
import { formatDateTime, formatMoney, pluralize } from '@/lib/format';
import { usePageTitle } from '@/lib/use-page-title';
import { useOrder } from '../api/get-order';
import { TicketList } from './ticket-list';

/** One order; right after booking it doubles as the confirmation page. */
export function OrderPage() {
  const id = Number(useParams().orderId);
  const location = useLocation();
  const justBooked = Boolean((location.state as { justBooked?: boolean } | null)?.justBooked);
  const order = useOrder(id);
  usePageTitle(justBooked ? 'Booking confirmed' : `Order #${id}`);

  if (!Number.isInteger(id) || id <= 0) return <NotFoundPage what="order" />;
  if (order.isPending) return <LoadingState label="Loading your order…" />;
  if (order.isError) {
    if (isApiError(order.error) && (order.error.status === 404 || order.error.status === 403)) return <NotFoundPage what="order" />;
    return <ErrorState title="This order could not be loaded" error={order.error} onRetry={() => order.refetch()} retrying={order.isFetching} />;
  }
  const o = order.data;
  return (
    <div className="flex flex-col gap-6">
      {justBooked && (
        <Alert tone="success" title="You're going!">
          Your booking is confirmed. Your tickets are below and in My orders.
        </Alert>
      )}
      <header className="flex flex-col gap-1">
        <h1 className="text-3xl font-semibold tracking-tight text-stone-900">{justBooked ? 'Booking confirmed' : `Order #${o.id}`}</h1>
        <p className="text-stone-700">
          {justBooked && <>Order #{o.id} · </>}
          Booked <time dateTime={o.createdAt}>{formatDateTime(o.createdAt)}</time> for {o.customerName}
        </p>
      </header>
      <Card className="flex flex-wrap items-baseline justify-between gap-2 p-5">
        <p className="text-stone-700">{pluralize(o.tickets.length, 'ticket')}</p>
        <p className="text-lg text-stone-900">
          Total <span className="font-semibold">{formatMoney(o.totalAmount)}</span>
        </p>
      </Card>
      <section aria-labelledby="tickets-heading" className="flex flex-col gap-3">
        <h2 id="tickets-heading" className="text-lg font-semibold text-stone-900">
          Tickets
        </h2>
        <TicketList tickets={o.tickets} />
      </section>
      <div className="flex flex-wrap gap-3">
        <ButtonLink to="/orders" variant="secondary">
          All my orders
        </ButtonLink>
        <ButtonLink to="/" variant="ghost">
          Browse more events
        </ButtonLink>
      </div>
    </div>
  );
}
