import type { ReactNode } from 'react';
import { Card } from '@/components/ui/card';
import { formatMoney, pluralize } from '@/lib/format';

export interface SummaryLine {
  key: string;
  label: string;
  detail?: string;
  amount: number;
  onRemove?: () => void;
  removeLabel?: string;
}

/** The running list of what is chosen, with its live total. */
export function OrderSummary({
  title = 'Your selection',
  lines,
  count,
  total,
  emptyText,
  footer,
}: {
  title?: string;
  lines: SummaryLine[];
  count: number;
  total: number;
  emptyText: string;
  footer?: ReactNode;
}) {
  return (
    <Card className="flex flex-col gap-4 p-5">
      <h2 className="text-lg font-semibold text-stone-900">{title}</h2>
      {lines.length === 0 ? (
        <p className="text-sm text-stone-700">{emptyText}</p>
      ) : (
        <ul className="flex max-h-80 flex-col divide-y divide-stone-200 overflow-y-auto" aria-label="Selected tickets">
          {lines.map((line) => (
            <li key={line.key} className="flex items-center gap-3 py-2 text-sm">
              <div className="min-w-0 flex-1">
                <p className="font-medium text-stone-900">{line.label}</p>
                {line.detail && <p className="text-stone-700">{line.detail}</p>}
              </div>
              <span className="font-medium text-stone-900 tabular-nums">{formatMoney(line.amount)}</span>
              {line.onRemove && (
                <button
                  type="button"
                  onClick={line.onRemove}
                  aria-label={line.removeLabel ?? `Remove ${line.label}`}
                  className="flex size-8 items-center justify-center rounded-md text-stone-600 hover:bg-stone-100 hover:text-stone-900"
                >
                  <span aria-hidden="true" className="text-lg leading-none">×</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="flex items-baseline justify-between border-t border-stone-200 pt-3" aria-live="polite" aria-atomic="true">
        <span className="text-sm text-stone-700">Total · {pluralize(count, 'ticket')}</span>
        <span className="text-xl font-semibold text-stone-900 tabular-nums" data-testid="order-total">
          {formatMoney(total)}
        </span>
      </div>
      {footer}
    </Card>
  );
}
