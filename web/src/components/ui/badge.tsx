import type { ReactNode } from 'react';
import { cn } from '@/lib/cn';

type Tone = 'neutral' | 'brand' | 'violet' | 'danger';
const tones: Record<Tone, string> = {
  neutral: 'bg-stone-100 text-stone-800 ring-stone-300',
  brand: 'bg-brand-50 text-brand-900 ring-brand-600/40',
  violet: 'bg-violet-50 text-violet-900 ring-violet-400/50',
  danger: 'bg-red-50 text-red-800 ring-red-300',
};

export function Badge({ tone = 'neutral', children, className }: { tone?: Tone; children: ReactNode; className?: string }) {
  return (
    <span className={cn('inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset', tones[tone], className)}>
      {children}
    </span>
  );
}
