/** Tier colours: each at least 3:1 against white, and told apart by lightness as well as hue. */
const KNOWN: Record<string, string> = {
  VIP: '#7e22ce', // purple-700
  FRONT_ROW: '#c2410c', // orange-700
  GA: '#0369a1', // sky-700
};
const FALLBACK = ['#15803d', '#be185d', '#4d7c0f', '#1d4ed8', '#a16207'];

export const SELECTED_FILL = '#1c1917';
export const UNAVAILABLE_FILL = '#d6d3d1';
export const HELD_STROKE = '#78716c';

export function tierColors(ticketTypes: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  let next = 0;
  for (const t of ticketTypes) {
    if (map.has(t)) continue;
    map.set(t, KNOWN[t] ?? FALLBACK[next++ % FALLBACK.length]!);
  }
  return map;
}

export function tierLabel(ticketType: string): string {
  if (ticketType === 'GA') return 'General';
  if (ticketType === 'VIP') return 'VIP';
  return ticketType
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}
