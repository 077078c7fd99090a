import { useId } from 'react';
import type { Tier } from '@/lib/api/types';
import { cn } from '@/lib/cn';
import { formatMoney } from '@/lib/format';
import { tierLabel } from '../seat-map/colors';
import { maxForTier, setTierQuantity, type Quantities } from '../selection';

export function GaTierPicker({
  tiers,
  quantities,
  maxPerOrder,
  onChange,
}: {
  tiers: readonly Tier[];
  quantities: Quantities;
  maxPerOrder: number;
  onChange: (next: Quantities) => void;
}) {
  return (
    <ul className="flex flex-col gap-3" aria-label="Ticket tiers">
      {tiers.map((tier) => (
        <li key={tier.id}>
          <TierRow tier={tier} quantities={quantities} maxPerOrder={maxPerOrder} onChange={onChange} />
        </li>
      ))}
    </ul>
  );
}

function TierRow({
  tier,
  quantities,
  maxPerOrder,
  onChange,
}: {
  tier: Tier;
  quantities: Quantities;
  maxPerOrder: number;
  onChange: (next: Quantities) => void;
}) {
  const id = useId();
  const qty = quantities[tier.id] ?? 0;
  const max = maxForTier(tier, quantities, maxPerOrder);
  const soldOut = tier.remaining === 0;
  const name = tierLabel(tier.name);
  const set = (n: number) => onChange(setTierQuantity(tier, quantities, n, maxPerOrder));
  const atLimit = !soldOut && qty >= max && qty > 0;
  return (
    <div className={cn('flex flex-col gap-3 rounded-xl border bg-white p-4 sm:flex-row sm:items-center', qty > 0 ? 'border-brand-600' : 'border-stone-200')}>
      <div className="flex-1">
        <p id={`${id}-name`} className="font-semibold text-stone-900">
          {name}
        </p>
        <p className="text-sm text-stone-700">
          <span className="font-medium text-stone-900">{formatMoney(tier.price)}</span>
          {' · '}
          {soldOut ? <span className="font-medium text-red-700">Sold out</span> : <span>{tier.remaining} left</span>}
        </p>
        {atLimit && (
          <p className="mt-1 text-xs text-stone-700" id={`${id}-limit`}>
            {tier.remaining <= qty ? `That's all the ${name} tickets left.` : `Up to ${maxPerOrder} tickets per order.`}
          </p>
        )}
      </div>
      {!soldOut && (
      <div className="flex items-center gap-2 self-start sm:self-auto">
        <button
          type="button"
          className="flex size-10 items-center justify-center rounded-lg border border-stone-300 bg-white text-lg text-stone-800 hover:bg-stone-100 disabled:cursor-not-allowed disabled:opacity-50"
          onClick={() => set(qty - 1)}
          disabled={qty <= 0}
          aria-label={`Remove one ${name} ticket`}
        >
          −
        </button>
        <label htmlFor={`${id}-qty`} className="sr-only">
          {name} quantity
        </label>
        <input
          id={`${id}-qty`}
          type="number"
          inputMode="numeric"
          min={0}
          max={Math.max(max, qty)}
          value={qty}
          disabled={soldOut}
          aria-describedby={atLimit ? `${id}-limit` : undefined}
          onChange={(e) => set(e.target.valueAsNumber)}
          onFocus={(e) => e.target.select()}
          className="h-10 w-14 rounded-lg border border-stone-400 text-center text-base [appearance:textfield] disabled:bg-stone-100 [&::-webkit-inner-spin-button]:appearance-none"
        />
        <button
          type="button"
          className="flex size-10 items-center justify-center rounded-lg border border-stone-300 bg-white text-lg text-stone-800 hover:bg-stone-100 disabled:cursor-not-allowed disabled:opacity-50"
          onClick={() => set(qty + 1)}
          disabled={qty >= max}
          aria-label={`Add one ${name} ticket`}
        >
          +
        </button>
      </div>
      )}
    </div>
  );
}
