import { createBrowserRouter, type RouteObject } from 'react-router';
import { NotFoundPage } from '@/components/not-found-page';
import { LoginPage } from '@/features/auth/components/login-page';
import { RequireAuth } from '@/features/auth/components/require-auth';
import { SignupPage } from '@/features/auth/components/signup-page';
import { CheckoutPage } from '@/features/booking/components/checkout-page';
import { EventDatePage } from '@/features/event-date/components/event-date-page';
import { EventsPage } from '@/features/events/components/events-page';
import { OrderPage } from '@/features/orders/components/order-page';
import { OrdersPage } from '@/features/orders/components/orders-page';
import { AppLayout } from './app-layout';
import { RouteError } from './route-error';

export const routes: RouteObject[] = [
  {
    element: <AppLayout />,
    errorElement: <RouteError />,
    children: [
      {
        errorElement: <RouteError />,
        children: [
          { index: true, element: <EventsPage /> },
          { path: 'event-dates/:eventDateId', element: <EventDatePage /> },
          {
            path: 'event-dates/:eventDateId/checkout',
            element: (
              <RequireAuth>
                <CheckoutPage />
              </RequireAuth>
            ),
          },
          {
            path: 'orders',
            element: (
              <RequireAuth>
                <OrdersPage />
              </RequireAuth>
            ),
          },
          {
            path: 'orders/:orderId',
            element: (
              <RequireAuth>
                <OrderPage />
              </RequireAuth>
            ),
          },
          { path: 'login', element: <LoginPage /> },
          { path: 'signup', element: <SignupPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
