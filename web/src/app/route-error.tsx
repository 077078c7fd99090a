import { isRouteErrorResponse, useRouteError } from 'react-router';
import { NotFoundPage } from '@/components/not-found-page';
import { Button } from '@/components/ui/button';

/** Last line of defence: a crash inside a page shows this, never a blank screen. */
export function RouteError() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  return (
    <div role="alert" className="mx-auto flex max-w-md flex-col items-center gap-4 px-4 py-16 text-center">
      <h1 className="text-2xl font-semibold text-stone-900">Something went wrong</h1>
      <p className="text-stone-700">An unexpected error stopped this page. Reloading usually helps.</p>
      <Button onClick={() => window.location.reload()}>Reload the page</Button>
    </div>
  );
}
