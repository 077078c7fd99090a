import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { unwrap } from '@/lib/api/errors';
import type { Order } from '@/lib/api/types';
import { orderKeys } from './get-orders';

export function getOrder(orderId: number): Promise<Order> {
  return unwrap(api.GET('/api/orders/{order_id}', { params: { path: { order_id: orderId } } }));
}

export function orderQueryOptions(orderId: number) {
  return queryOptions({ queryKey: orderKeys.detail(orderId), queryFn: () => getOrder(orderId), staleTime: 5 * 60_000 });
}

export function useOrder(orderId: number) {
  return useQuery(orderQueryOptions(orderId));
}
