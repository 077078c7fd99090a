import { Link } from 'react-router';
import { ButtonLink } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { EmptyState, ErrorState, LoadingState } from '@/components/ui/states';
import { useAuth } from '@/features/auth/auth-provider';
import type { Order } from '@/lib/api/types';
import { formatDateTime, formatMoney, pluralize } from '@/lib/format';
import { usePageTitle } from '@/lib/use-page-title';
import { useOrders } from '../api/get-orders';

export function OrdersPage() {
  const { user } = useAuth();
  // RequireAuth guarantees a user here.
  const orders = useOrders(user!.id);
  usePageTitle('My orders');
  return (
    <div className="flex flex-col gap-6">
      <header>
        <h1 className="text-3xl font-semibold tracking-tight text-stone-900">My orders</h1>
        <p className="mt-1 text-stone-700">Newest first.</p>
      </header>
      {orders.isPending ? (
        <LoadingState label="Loading your orders…" />
      ) : orders.isError ? (
        <ErrorState title="Your orders could not be loaded" error={orders.error} onRetry={() => orders.refetch()} retrying={orders.isFetching} />
      ) : orders.data.length === 0 ? (
        <EmptyState title="No orders yet">
          <p>When you book tickets they will show up here.</p>
          <ButtonLink to="/" className="mt-4">
            Find a concert
          </ButtonLink>
        </EmptyState>
      ) : (
        <ul className="flex flex-col gap-3" aria-label="Orders">
          {orders.data.map((o) => (
            <li key={o.id}>
              <OrderRow order={o} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function OrderRow({ order }: { order: Order }) {
  const titles = [...new Set(order.tickets.map((t) => t.eventTitle))];
  const first = order.tickets[0];
  return (
    <Card className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between">
      <div className="min-w-0">
        <p className="font-semibold text-stone-900">
          <Link to={`/orders/${order.id}`} className="underline-offset-2 hover:underline">
            {titles.join(', ') || `Order #${order.id}`}
          </Link>
        </p>
        <p className="text-sm text-stone-700">
          Order #{order.id}
          {first && (
            <>
              {' · '}
              <time dateTime={first.eventDate}>{formatDateTime(first.eventDate)}</time>
            </>
          )}
        </p>
        <p className="text-sm text-stone-700">
          {pluralize(order.tickets.length, 'ticket')} · booked <time dateTime={order.createdAt}>{formatDateTime(order.createdAt)}</time>
        </p>
      </div>
      <div className="flex items-center justify-between gap-4 sm:justify-end">
        <span className="font-semibold text-stone-900">{formatMoney(order.totalAmount)}</span>
        <ButtonLink to={`/orders/${order.id}`} variant="secondary" size="sm" aria-label={`View order #${order.id}`}>
          View
        </ButtonLink>
      </div>
    </Card>
  );
}
