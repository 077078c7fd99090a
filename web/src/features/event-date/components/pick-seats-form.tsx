import { useId, useMemo, useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { Alert } from '@/components/ui/alert';
import { Button, ButtonLink } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { inputClass } from '@/components/ui/field';
import { useAuth } from '@/features/auth/auth-provider';
import { usePlacePickedHold } from '@/features/booking/api/holds';
import { errorMessage } from '@/lib/api/errors';
import type { SeatSection } from '@/lib/api/types';
import { formatMoney } from '@/lib/format';
import { tierLabel } from '../seat-map/colors';

interface TierOption {
  id: number;
  name: string;
  from: number;
}

/** The tiers and sections that still have a seat available, for the form's choices. */
export function pickChoices(sections: readonly SeatSection[]): { tiers: TierOption[]; sections: string[] } {
  const tiers = new Map<number, TierOption>();
  const open: string[] = [];
  for (const s of sections) {
    let any = false;
    for (const r of s.rows)
      for (const seat of r.seats) {
        if (!seat.available) continue;
        any = true;
        const known = tiers.get(seat.ticketTypeId);
        if (!known || seat.price < known.from) tiers.set(seat.ticketTypeId, { id: seat.ticketTypeId, name: seat.ticketType, from: seat.price });
      }
    if (any) open.push(s.section);
  }
  return { tiers: [...tiers.values()].sort((a, b) => b.from - a.from), sections: open };
}

/**
 * "Find seats for me": the box office picks seats side by side and holds them
 * (POST /api/holds with `pickSeats`), then it is on to checkout with them. In
 * an on-sale this beats clicking seats that someone else is clicking too.
 */
export function PickSeatsForm({ eventDateId, sections, maxPerOrder }: { eventDateId: number; sections: readonly SeatSection[]; maxPerOrder: number }) {
  const id = useId();
  const { user } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const placePickedHold = usePlacePickedHold(eventDateId);
  const choices = useMemo(() => pickChoices(sections), [sections]);
  const [quantity, setQuantity] = useState(Math.min(2, maxPerOrder));
  const [tier, setTier] = useState('');
  const [section, setSection] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (choices.sections.length === 0) return null;

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (pending || !user) return;
    setPending(true);
    setError(null);
    try {
      await placePickedHold(
        { quantity, ...(tier ? { ticketTypeId: Number(tier) } : {}), ...(section ? { section } : {}) },
        `${user.firstName} ${user.lastName}`,
      );
      navigate(`/event-dates/${eventDateId}/checkout`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  const select = `${inputClass} h-10 text-sm`;
  return (
    <Card className="flex flex-col gap-3 p-5">
      <h2 id={`${id}-title`} className="text-lg font-semibold text-stone-900">
        Find seats for me
      </h2>
      <p className="text-sm text-stone-700">We pick seats side by side in one row and hold them while you pay.</p>
      <form className="flex flex-col gap-3" aria-labelledby={`${id}-title`} onSubmit={onSubmit}>
        <div className="grid grid-cols-2 gap-3">
          <label className="flex flex-col gap-1 text-sm font-medium text-stone-800">
            Seats
            <select className={select} value={quantity} onChange={(e) => setQuantity(Number(e.target.value))}>
              {Array.from({ length: maxPerOrder }, (_, i) => i + 1).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium text-stone-800">
            Section
            <select className={select} value={section} onChange={(e) => setSection(e.target.value)}>
              <option value="">Any</option>
              {choices.sections.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label className="flex flex-col gap-1 text-sm font-medium text-stone-800">
          Price
          <select className={select} value={tier} onChange={(e) => setTier(e.target.value)}>
            <option value="">Any</option>
            {choices.tiers.map((t) => (
              <option key={t.id} value={t.id}>
                {tierLabel(t.name)} · {formatMoney(t.from)}
              </option>
            ))}
          </select>
        </label>
        {error && <Alert tone="warning">{error}</Alert>}
        {user ? (
          <Button type="submit" variant="secondary" loading={pending}>
            {pending ? 'Finding seats…' : 'Find seats together'}
          </Button>
        ) : (
          <ButtonLink to={`/login?returnTo=${encodeURIComponent(location.pathname)}`} variant="secondary">
            Log in to have seats picked
          </ButtonLink>
        )}
      </form>
    </Card>
  );
}
