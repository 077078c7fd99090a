import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, ScrollRestoration, useLocation, useNavigate } from 'react-router';
import { ButtonLink } from '@/components/ui/button';
import { useToast } from '@/components/ui/toast';
import { useAuth } from '@/features/auth/auth-provider';
import { cn } from '@/lib/cn';

export function AppLayout() {
  return (
    <div className="flex min-h-dvh flex-col">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-white px-3 py-2 text-sm font-medium text-brand-800 focus:not-sr-only focus:absolute focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      <SiteHeader />
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:px-6 sm:py-8">
        <Outlet />
      </main>
      <footer className="border-t border-stone-200 py-6 text-center text-sm text-stone-600">
        Ticketbooth · Every ticket sold once.
      </footer>
      <SessionWatcher />
      <ScrollRestoration />
    </div>
  );
}

const navLink = ({ isActive }: { isActive: boolean }) =>
  cn(
    'whitespace-nowrap rounded-md px-2.5 py-2 text-sm font-medium sm:px-3',
    isActive ? 'bg-brand-50 text-brand-900' : 'text-stone-700 hover:bg-stone-100 hover:text-stone-900',
  );

function SiteHeader() {
  const { user } = useAuth();
  const location = useLocation();
  const returnTo = encodeURIComponent(location.pathname + location.search);
  const onAuthPage = location.pathname === '/login' || location.pathname === '/signup';
  return (
    <header className="border-b border-stone-200 bg-white">
      <div className="mx-auto flex h-16 max-w-6xl items-center gap-2 px-4 sm:gap-4 sm:px-6">
        <Link to="/" className="flex shrink-0 items-center gap-2 text-lg font-semibold text-stone-900">
          <svg viewBox="0 0 32 32" className="size-7" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="#0f766e" />
            <path d="M8 11h16v3a2 2 0 0 0 0 4v3H8v-3a2 2 0 0 0 0-4z" fill="#fff" />
          </svg>
          <span className="sr-only sm:not-sr-only">Ticketbooth</span>
        </Link>
        <nav aria-label="Main" className="flex items-center gap-1">
          <NavLink to="/" end className={navLink}>
            Events
          </NavLink>
          {user && (
            <NavLink to="/orders" className={navLink}>
              My orders
            </NavLink>
          )}
        </nav>
        <div className="ml-auto flex items-center gap-2">
          {user ? (
            <AccountMenu />
          ) : (
            !onAuthPage && (
              <>
                <ButtonLink to={`/login?returnTo=${returnTo}`} variant="ghost" size="sm" className="whitespace-nowrap">
                  Log in
                </ButtonLink>
                <ButtonLink to={`/signup?returnTo=${returnTo}`} variant="primary" size="sm" className="whitespace-nowrap">
                  Sign up
                </ButtonLink>
              </>
            )
          )}
        </div>
      </div>
    </header>
  );
}

function AccountMenu() {
  const { user, signOut } = useAuth();
  const navigate = useNavigate();
  const toast = useToast();
  if (!user) return null;
  const initials = `${user.firstName.charAt(0)}${user.lastName.charAt(0)}`.toUpperCase();
  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger
        className="flex items-center gap-2 rounded-full border border-stone-300 bg-white py-1 pr-3 pl-1 text-sm font-medium text-stone-800 hover:bg-stone-100"
        aria-label={`Account menu for ${user.firstName} ${user.lastName}`}
      >
        <span className="flex size-7 items-center justify-center rounded-full bg-brand-700 text-xs font-semibold text-white" aria-hidden="true">
          {initials}
        </span>
        <span className="hidden sm:inline">{user.firstName}</span>
        <span aria-hidden="true">▾</span>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content
          align="end"
          sideOffset={6}
          className="z-50 min-w-52 rounded-lg border border-stone-200 bg-white p-1 shadow-lg"
        >
          <DropdownMenu.Label className="px-3 py-2 text-xs text-stone-600">
            Signed in as <span className="font-medium text-stone-900">{user.email}</span>
          </DropdownMenu.Label>
          <DropdownMenu.Separator className="my-1 h-px bg-stone-200" />
          <DropdownMenu.Item
            className="cursor-pointer rounded-md px-3 py-2 text-sm text-stone-800 outline-none data-[highlighted]:bg-stone-100"
            onSelect={() => navigate('/orders')}
          >
            My orders
          </DropdownMenu.Item>
          <DropdownMenu.Item
            className="cursor-pointer rounded-md px-3 py-2 text-sm text-stone-800 outline-none data-[highlighted]:bg-stone-100"
            onSelect={async () => {
              await signOut();
              toast({ title: 'You are logged out' });
              navigate('/');
            }}
          >
            Log out
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

/** When the server rejects our token, go to login and come back here afterwards. */
function SessionWatcher() {
  const { expiredCount } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const seen = useRef(expiredCount);
  useEffect(() => {
    if (expiredCount === seen.current) return;
    seen.current = expiredCount;
    if (location.pathname === '/login') return;
    const returnTo = encodeURIComponent(location.pathname + location.search);
    navigate(`/login?returnTo=${returnTo}&expired=1`, { replace: true });
  }, [expiredCount, location, navigate]);
  return null;
}
