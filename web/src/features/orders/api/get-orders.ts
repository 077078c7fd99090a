import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { unwrap } from '@/lib/api/errors';
import type { Order } from '@/lib/api/types';

export const orderKeys = {
  list: (userId: number) => ['orders', 'list', userId] as const,
  detail: (orderId: number) => ['orders', 'detail', orderId] as const,
};

export function getOrders(userId: number): Promise<Order[]> {
  return unwrap(api.GET('/api/orders', { params: { query: { userId } } }));
}

export function ordersQueryOptions(userId: number) {
  return queryOptions({ queryKey: orderKeys.list(userId), queryFn: () => getOrders(userId) });
}

export function useOrders(userId: number) {
  return useQuery(ordersQueryOptions(userId));
}
