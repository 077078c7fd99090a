import { useEffect } from 'react';

/** Sets the tab title, so each page is announced by name. */
export function usePageTitle(title: string | null | undefined) {
  useEffect(() => {
    document.title = title ? `${title} · Ticketbooth` : 'Ticketbooth';
  }, [title]);
}
