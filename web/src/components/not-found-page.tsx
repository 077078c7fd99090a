import { usePageTitle } from '@/lib/use-page-title';
import { ButtonLink } from '@/components/ui/button';

export function NotFoundPage({ what = 'page' }: { what?: string }) {
  usePageTitle('Not found');
  return (
    <div className="mx-auto flex max-w-md flex-col items-center gap-4 py-16 text-center">
      <p className="text-6xl font-bold text-brand-700" aria-hidden="true">
        404
      </p>
      <h1 className="text-2xl font-semibold text-stone-900">We couldn't find that {what}</h1>
      <p className="text-stone-700">The link may be old, or the {what} may have been removed.</p>
      <ButtonLink to="/">Back to events</ButtonLink>
    </div>
  );
}
