import type { Seat, SeatSection } from '@/lib/api/types';
import { tierLabel } from './colors';

export const PITCH = 14;
export const RADIUS = 5;
const SECTION_GAP_X = 40;
const SECTION_GAP_Y = 44;
const ROW_LABEL_W = 22;
const SECTION_LABEL_H = 26;
const PAD = 16;
const STAGE_H = 40;
const STAGE_GAP = 28;
const SECTIONS_PER_BAND = 3;

export interface PlacedSeat {
  seat: Seat;
  section: string;
  row: string;
  x: number;
  y: number;
  name: string;
}

export interface SectionBox {
  section: string;
  x: number;
  y: number;
  w: number;
  h: number;
  rows: { row: string; y: number }[];
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface SeatMapLayout {
  seats: PlacedSeat[];
  byId: Map<number, PlacedSeat>;
  sections: SectionBox[];
  stage: Box;
  bounds: Box;
  /** Seats grouped by screen line (same y), each sorted left to right: keyboard navigation runs on these. */
  lines: number[][];
  position: Map<number, { line: number; index: number }>;
}

export function seatAccessibleName(p: { seat: Seat; section: string; row: string }, price: string): string {
  const parts = [`Section ${p.section}, row ${p.row}, seat ${p.seat.number}`, tierLabel(p.seat.ticketType), price];
  if (p.seat.accessible) parts.push('wheelchair accessible');
  if (!p.seat.available) parts.push(p.seat.status === 'held' ? 'on hold, unavailable' : 'unavailable');
  return parts.join(', ');
}

export function layoutSeatMap(sections: readonly SeatSection[], formatPrice: (n: number) => string): SeatMapLayout {
  const seats: PlacedSeat[] = [];
  const boxes: SectionBox[] = [];
  const bands = Math.ceil(sections.length / SECTIONS_PER_BAND) || 1;
  const widthOf = (s: SeatSection) => Math.max(1, ...s.rows.map((r) => r.seats.length)) * PITCH;
  const heightOf = (s: SeatSection) => Math.max(1, s.rows.length) * PITCH;

  // Column widths and band heights so sections line up in a grid.
  const colW: number[] = [];
  const bandH: number[] = [];
  sections.forEach((s, i) => {
    const col = i % SECTIONS_PER_BAND;
    const band = Math.floor(i / SECTIONS_PER_BAND);
    colW[col] = Math.max(colW[col] ?? 0, widthOf(s));
    bandH[band] = Math.max(bandH[band] ?? 0, heightOf(s));
  });
  const innerW = colW.reduce((a, w) => a + ROW_LABEL_W + w, 0) + SECTION_GAP_X * Math.max(0, colW.length - 1);
  const width = innerW + PAD * 2;

  let bandY = PAD + STAGE_H + STAGE_GAP;
  const bandTop: number[] = [];
  for (let b = 0; b < bands; b++) {
    bandTop[b] = bandY;
    bandY += SECTION_LABEL_H + (bandH[b] ?? 0) + SECTION_GAP_Y;
  }
  const height = bandY - SECTION_GAP_Y + PAD;

  sections.forEach((s, i) => {
    const col = i % SECTIONS_PER_BAND;
    const band = Math.floor(i / SECTIONS_PER_BAND);
    let x0 = PAD;
    for (let c = 0; c < col; c++) x0 += ROW_LABEL_W + (colW[c] ?? 0) + SECTION_GAP_X;
    const seatsX = x0 + ROW_LABEL_W;
    const y0 = (bandTop[band] ?? 0) + SECTION_LABEL_H;
    // Centre narrower sections in their column.
    const offsetX = ((colW[col] ?? 0) - widthOf(s)) / 2;
    const rows: SectionBox['rows'] = [];
    s.rows.forEach((r, ri) => {
      const y = y0 + ri * PITCH + PITCH / 2;
      rows.push({ row: r.row, y });
      r.seats.forEach((seat, si) => {
        const placed = { seat, section: s.section, row: r.row, x: seatsX + offsetX + si * PITCH + PITCH / 2, y, name: '' };
        placed.name = seatAccessibleName(placed, formatPrice(seat.price));
        seats.push(placed);
      });
    });
    boxes.push({ section: s.section, x: x0, y: y0 - SECTION_LABEL_H, w: ROW_LABEL_W + (colW[col] ?? 0), h: SECTION_LABEL_H + heightOf(s), rows });
  });

  // Navigation lines.
  const byY = new Map<number, PlacedSeat[]>();
  for (const p of seats) {
    const list = byY.get(p.y);
    if (list) list.push(p);
    else byY.set(p.y, [p]);
  }
  const ys = [...byY.keys()].sort((a, b) => a - b);
  const lines: number[][] = [];
  const position = new Map<number, { line: number; index: number }>();
  ys.forEach((y, li) => {
    const sorted = byY.get(y)!.sort((a, b) => a.x - b.x);
    lines.push(sorted.map((p) => p.seat.seatId));
    sorted.forEach((p, index) => position.set(p.seat.seatId, { line: li, index }));
  });

  const byId = new Map(seats.map((p) => [p.seat.seatId, p]));
  const stage = { x: PAD + innerW * 0.2, y: PAD, w: innerW * 0.6, h: STAGE_H };
  return { seats, byId, sections: boxes, stage, bounds: { x: 0, y: 0, w: width, h: height }, lines, position };
}

export type Direction = 'left' | 'right' | 'up' | 'down' | 'home' | 'end';

/** The seat reached from `fromId` by one key press, or null at an edge. */
export function moveFocus(layout: SeatMapLayout, fromId: number, direction: Direction): number | null {
  const pos = layout.position.get(fromId);
  if (!pos) return null;
  const line = layout.lines[pos.line]!;
  switch (direction) {
    case 'left':
      return pos.index > 0 ? line[pos.index - 1]! : null;
    case 'right':
      return pos.index < line.length - 1 ? line[pos.index + 1]! : null;
    case 'home':
      return line[0] ?? null;
    case 'end':
      return line[line.length - 1] ?? null;
    case 'up':
    case 'down': {
      const target = layout.lines[pos.line + (direction === 'up' ? -1 : 1)];
      if (!target) return null;
      const x = layout.byId.get(fromId)!.x;
      return nearestByX(layout, target, x);
    }
  }
}

function nearestByX(layout: SeatMapLayout, line: number[], x: number): number {
  let lo = 0;
  let hi = line.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (layout.byId.get(line[mid]!)!.x < x) lo = mid + 1;
    else hi = mid;
  }
  const here = line[lo]!;
  const before = line[lo - 1];
  if (before !== undefined && Math.abs(layout.byId.get(before)!.x - x) <= Math.abs(layout.byId.get(here)!.x - x)) return before;
  return here;
}
