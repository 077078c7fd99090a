import { memo, useCallback, useId, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { Button } from '@/components/ui/button';
import { DialogContent, DialogRoot, DialogTrigger } from '@/components/ui/dialog';
import type { SeatSection } from '@/lib/api/types';
import { cn } from '@/lib/cn';
import { formatMoney } from '@/lib/format';
import { HELD_STROKE, SELECTED_FILL, UNAVAILABLE_FILL, tierColors, tierLabel } from './colors';
import { layoutSeatMap, moveFocus, RADIUS, type Box, type Direction, type PlacedSeat, type SeatMapLayout } from './layout';

export interface SeatMapProps {
  sections: readonly SeatSection[];
  selected: ReadonlySet<number>;
  onToggle: (seatId: number) => void;
  className?: string;
}

const KEYS: Record<string, Direction> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
  Home: 'home',
  End: 'end',
};

const MIN_VIEW_W = 120;
const DRAG_THRESHOLD = 5;

/**
 * The interactive seat map: one SVG, seats memoised so that selecting one
 * seat re-renders one seat, one roving tabindex so Tab enters and leaves the
 * map in one step, arrows move, Space or Enter toggles.
 */
export function SeatMap({ sections, selected, onToggle, className }: SeatMapProps) {
  const layout = useMemo(() => layoutSeatMap(sections, formatMoney), [sections]);
  const ticketTypes = useMemo(() => {
    const seen = new Map<string, number>();
    for (const p of layout.seats) if (!seen.has(p.seat.ticketType)) seen.set(p.seat.ticketType, p.seat.price);
    return [...seen.entries()].sort((a, b) => b[1] - a[1]);
  }, [layout]);
  const colors = useMemo(() => tierColors(ticketTypes.map(([t]) => t)), [ticketTypes]);

  const svgRef = useRef<SVGSVGElement>(null);
  const [view, setView] = useState<Box>(layout.bounds);
  const [focusSection, setFocusSection] = useState<string | null>(null);
  const [focusedId, setFocusedId] = useState<number | null>(null);
  const [hasFocus, setHasFocus] = useState(false);
  const [hovered, setHovered] = useState<number | null>(null);
  const instructionsId = useId();

  // The seat that holds the tab stop: the focused one, else the first selected, else the first free.
  const tabStop = useMemo(() => {
    if (focusedId !== null && layout.byId.has(focusedId)) return focusedId;
    for (const id of selected) if (layout.byId.has(id)) return id;
    return (layout.seats.find((p) => p.seat.available) ?? layout.seats[0])?.seat.seatId ?? null;
  }, [focusedId, selected, layout]);

  const showSection = useCallback(
    (section: string | null) => {
      setFocusSection(section);
      const box = section ? layout.sections.find((s) => s.section === section) : null;
      setView(box ? pad(box, 14) : layout.bounds);
    },
    [layout],
  );

  const ensureVisible = useCallback(
    (p: PlacedSeat) => {
      if (focusSection && p.section !== focusSection) {
        showSection(p.section);
        return;
      }
      setView((v) => {
        const m = RADIUS * 2;
        if (p.x >= v.x + m && p.x <= v.x + v.w - m && p.y >= v.y + m && p.y <= v.y + v.h - m) return v;
        return clampView({ ...v, x: p.x - v.w / 2, y: p.y - v.h / 2 }, layout.bounds);
      });
    },
    [focusSection, showSection, layout],
  );

  const focusSeat = useCallback(
    (id: number) => {
      const p = layout.byId.get(id);
      if (!p) return;
      setFocusedId(id);
      ensureVisible(p);
      svgRef.current?.querySelector<SVGElement>(`[data-seat-id="${id}"]`)?.focus({ preventScroll: true });
    },
    [layout, ensureVisible],
  );

  function seatIdFrom(target: EventTarget | null): number | null {
    const el = (target as Element | null)?.closest?.('[data-seat-id]');
    return el ? Number(el.getAttribute('data-seat-id')) : null;
  }

  function onKeyDown(e: KeyboardEvent<SVGSVGElement>) {
    const id = seatIdFrom(e.target);
    if (id === null) return;
    const direction = KEYS[e.key];
    if (direction) {
      e.preventDefault();
      const next = moveFocus(layout, id, direction);
      if (next !== null) focusSeat(next);
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      if (layout.byId.get(id)?.seat.available) onToggle(id);
    }
  }

  // Drag to pan; a press that did not move is a click on a seat.
  const drag = useRef<{ x: number; y: number; view: Box; moved: boolean; pointerId: number } | null>(null);
  const suppressClick = useRef(false);

  function onPointerDown(e: PointerEvent<SVGSVGElement>) {
    if (e.button !== 0) return;
    drag.current = { x: e.clientX, y: e.clientY, view, moved: false, pointerId: e.pointerId };
  }
  function onPointerMove(e: PointerEvent<SVGSVGElement>) {
    const d = drag.current;
    const svg = svgRef.current;
    if (!d || !svg) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
    if (!d.moved) {
      d.moved = true;
      svg.setPointerCapture?.(d.pointerId);
    }
    const rect = svg.getBoundingClientRect();
    const scale = Math.max(d.view.w / rect.width, d.view.h / rect.height);
    setView(clampView({ ...d.view, x: d.view.x - dx * scale, y: d.view.y - dy * scale }, layout.bounds));
  }
  function onPointerUp() {
    if (drag.current?.moved) suppressClick.current = true;
    drag.current = null;
  }
  function onClick(e: React.MouseEvent<SVGSVGElement>) {
    if (suppressClick.current) {
      suppressClick.current = false;
      return;
    }
    const id = seatIdFrom(e.target);
    if (id === null) return;
    setFocusedId(id);
    if (layout.byId.get(id)?.seat.available) onToggle(id);
  }

  function zoom(factor: number) {
    setFocusSection(null);
    setView((v) => {
      const w = Math.min(layout.bounds.w, Math.max(MIN_VIEW_W, v.w * factor));
      const h = (w / v.w) * v.h;
      return clampView({ x: v.x + (v.w - w) / 2, y: v.y + (v.h - h) / 2, w, h }, layout.bounds);
    });
  }

  const focused = tabStop !== null && hasFocus ? layout.byId.get(tabStop) : undefined;
  const info = layout.byId.get(hovered ?? (hasFocus ? (tabStop ?? -1) : -1));
  const zoomedOut = view.w >= layout.bounds.w - 0.5 && view.h >= layout.bounds.h - 0.5;

  return (
    <div className={cn('flex flex-col gap-3', className)}>
      <div className="flex flex-wrap items-center gap-2">
        <div role="group" aria-label="Show section" className="flex flex-wrap gap-1">
          <ViewButton pressed={focusSection === null && zoomedOut} onClick={() => showSection(null)}>
            All
          </ViewButton>
          {layout.sections.map((s) => (
            <ViewButton key={s.section} pressed={focusSection === s.section} onClick={() => showSection(s.section)} label={`Section ${s.section}`}>
              {s.section}
            </ViewButton>
          ))}
        </div>
        <div className="ml-auto flex gap-1">
          <Button variant="secondary" size="sm" onClick={() => zoom(1 / 1.5)} aria-label="Zoom in" disabled={view.w <= MIN_VIEW_W}>
            +
          </Button>
          <Button variant="secondary" size="sm" onClick={() => zoom(1.5)} aria-label="Zoom out" disabled={zoomedOut}>
            −
          </Button>
          <HelpDialog />
        </div>
      </div>

      <div className="overflow-hidden rounded-xl border border-stone-200 bg-white">
        <svg
          ref={svgRef}
          role="group"
          aria-label={`Seat map, ${layout.seats.length} seats`}
          aria-describedby={instructionsId}
          viewBox={`${view.x} ${view.y} ${view.w} ${view.h}`}
          className="block h-auto max-h-[70vh] w-full touch-none select-none"
          style={{ aspectRatio: `${view.w} / ${view.h}` }}
          onKeyDown={onKeyDown}
          onClick={onClick}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onFocus={(e) => {
            setHasFocus(true);
            const id = seatIdFrom(e.target);
            if (id !== null) setFocusedId(id);
          }}
          onBlur={(e) => {
            if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setHasFocus(false);
          }}
          onPointerOver={(e) => setHovered(seatIdFrom(e.target))}
          onPointerLeave={() => setHovered(null)}
        >
          <Backdrop layout={layout} />
          <g>
            {layout.seats.map((p) => (
              <SeatShape
                key={p.seat.seatId}
                placed={p}
                fill={colors.get(p.seat.ticketType) ?? '#57534e'}
                selected={selected.has(p.seat.seatId)}
                tabbable={p.seat.seatId === tabStop}
              />
            ))}
          </g>
          {focused && (
            <circle
              cx={focused.x}
              cy={focused.y}
              r={RADIUS + 3}
              fill="none"
              stroke="#0c0a09"
              strokeWidth={2}
              pointerEvents="none"
              data-testid="seat-focus-ring"
            />
          )}
        </svg>
      </div>

      <p id={instructionsId} className="text-sm text-stone-700">
        Click a seat, or use the arrow keys to move and Space to select. Drag to pan.
      </p>
      <p className="min-h-5 text-sm text-stone-900" aria-hidden="true">
        {info ? `${info.name}` : '\u00a0'}
      </p>

      <Legend types={ticketTypes} colors={colors} />
    </div>
  );
}

function ViewButton({ pressed, onClick, label, children }: { pressed: boolean; onClick: () => void; label?: string; children: React.ReactNode }) {
  return (
    <button
      type="button"
      aria-pressed={pressed}
      aria-label={label}
      onClick={onClick}
      className={cn(
        'h-8 min-w-8 rounded-md border px-2.5 text-sm font-medium',
        pressed ? 'border-brand-700 bg-brand-700 text-white' : 'border-stone-300 bg-white text-stone-800 hover:bg-stone-100',
      )}
    >
      {children}
    </button>
  );
}

interface SeatShapeProps {
  placed: PlacedSeat;
  fill: string;
  selected: boolean;
  tabbable: boolean;
}

const SeatShape = memo(function SeatShape({ placed, fill, selected, tabbable }: SeatShapeProps) {
  const { seat, x, y, name } = placed;
  const held = !seat.available && seat.status === 'held';
  const color = held ? 'none' : !seat.available ? UNAVAILABLE_FILL : selected ? SELECTED_FILL : fill;
  const props = {
    'data-seat-id': seat.seatId,
    role: 'checkbox',
    'aria-checked': selected,
    'aria-disabled': seat.available ? undefined : true,
    'aria-label': name,
    tabIndex: tabbable ? 0 : -1,
    fill: color,
    stroke: held ? HELD_STROKE : selected ? fill : 'none',
    strokeWidth: held ? 1.5 : selected ? 2 : 0,
    className: cn('outline-none', seat.available ? 'cursor-pointer' : 'cursor-not-allowed'),
  } as const;
  if (seat.accessible) {
    // Accessible seats are squares, so they are told apart without colour.
    return <rect x={x - RADIUS} y={y - RADIUS} width={RADIUS * 2} height={RADIUS * 2} rx={1.5} {...props} />;
  }
  return <circle cx={x} cy={y} r={RADIUS} {...props} />;
});

/** Stage, section titles and row numbers: drawn once per layout. */
const Backdrop = memo(function Backdrop({ layout }: { layout: SeatMapLayout }) {
  const { stage } = layout;
  return (
    <g aria-hidden="true" pointerEvents="none">
      <rect x={stage.x} y={stage.y} width={stage.w} height={stage.h} rx={8} fill="#e7e5e4" />
      <text x={stage.x + stage.w / 2} y={stage.y + stage.h / 2 + 5} textAnchor="middle" fontSize={14} fontWeight={600} fill="#44403c">
        STAGE
      </text>
      {layout.sections.map((s) => (
        <g key={s.section}>
          <text x={s.x + s.w / 2} y={s.y + 16} textAnchor="middle" fontSize={13} fontWeight={600} fill="#292524">
            Section {s.section}
          </text>
          {s.rows.map((r) => (
            <text key={r.row} x={s.x + 14} y={r.y + 3} textAnchor="end" fontSize={8} fill="#57534e">
              {r.row}
            </text>
          ))}
        </g>
      ))}
    </g>
  );
});

function Legend({ types, colors }: { types: [string, number][]; colors: Map<string, string> }) {
  return (
    <ul aria-label="Seat map legend" className="flex flex-wrap gap-x-5 gap-y-2 text-sm text-stone-800">
      {types.map(([t, price]) => (
        <li key={t} className="flex items-center gap-2">
          <Swatch color={colors.get(t)!} />
          {tierLabel(t)} · {formatMoney(price)}
        </li>
      ))}
      <li className="flex items-center gap-2">
        <Swatch color={SELECTED_FILL} />
        Selected
      </li>
      <li className="flex items-center gap-2">
        <Swatch color={UNAVAILABLE_FILL} />
        Sold
      </li>
      <li className="flex items-center gap-2">
        <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
          <circle cx="7" cy="7" r="5" fill="none" stroke={HELD_STROKE} strokeWidth="1.5" />
        </svg>
        On hold (may free up)
      </li>
      <li className="flex items-center gap-2">
        <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
          <rect x="2" y="2" width="10" height="10" rx="1.5" fill="#57534e" />
        </svg>
        Wheelchair accessible (square)
      </li>
    </ul>
  );
}

function Swatch({ color }: { color: string }) {
  return (
    <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
      <circle cx="7" cy="7" r="5.5" fill={color} />
    </svg>
  );
}

function HelpDialog() {
  return (
    <DialogRoot>
      <DialogTrigger asChild>
        <Button variant="secondary" size="sm">
          Help
        </Button>
      </DialogTrigger>
      <DialogContent title="Using the seat map" description="Pick seats with a mouse, a finger or the keyboard.">
        <ul className="list-disc space-y-1 pl-5 text-sm text-stone-800">
          <li>Choose a section above the map to zoom in on it, or use + and −. Drag the map to pan.</li>
          <li>Tab moves into the map; the arrow keys move from seat to seat, Home and End jump to the ends of a row.</li>
          <li>Space or Enter selects or releases the seat in focus.</li>
          <li>Colours show the price zone; grey seats are sold, outlined ones are held in someone's cart and may free up; square seats are wheelchair accessible.</li>
        </ul>
      </DialogContent>
    </DialogRoot>
  );
}

function pad(b: Box, p: number): Box {
  return { x: b.x - p, y: b.y - p, w: b.w + p * 2, h: b.h + p * 2 };
}

function clampView(v: Box, bounds: Box): Box {
  const x = Math.min(Math.max(v.x, bounds.x), bounds.x + bounds.w - v.w);
  const y = Math.min(Math.max(v.y, bounds.y), bounds.y + bounds.h - v.h);
  return { ...v, x: v.w >= bounds.w ? bounds.x : x, y: v.h >= bounds.h ? bounds.y : y };
}
