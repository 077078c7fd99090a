import { seatedAvailability } from '@/testing/fixtures';
import { layoutSeatMap, moveFocus } from './layout';

const layout = layoutSeatMap(seatedAvailability().sections, (n) => `$${n}`);
const id = (label: string) => layout.seats.find((p) => p.seat.label === label)!.seat.seatId;
const label = (seatId: number | null) => (seatId === null ? null : layout.byId.get(seatId)!.seat.label);

describe('seat map keyboard navigation', () => {
  it('moves along a row and on into the next section', () => {
    expect(label(moveFocus(layout, id('A-1-1'), 'right'))).toBe('A-1-2');
    expect(label(moveFocus(layout, id('A-1-4'), 'right'))).toBe('B-1-1');
    expect(label(moveFocus(layout, id('B-1-1'), 'left'))).toBe('A-1-4');
  });

  it('stops at the edges', () => {
    expect(moveFocus(layout, id('A-1-1'), 'left')).toBeNull();
    expect(moveFocus(layout, id('A-1-1'), 'up')).toBeNull();
    expect(moveFocus(layout, id('B-3-4'), 'down')).toBeNull();
  });

  it('moves between rows to the nearest seat', () => {
    expect(label(moveFocus(layout, id('A-1-3'), 'down'))).toBe('A-2-3');
    expect(label(moveFocus(layout, id('B-3-2'), 'up'))).toBe('B-2-2');
  });

  it('jumps to the ends of a line with Home and End', () => {
    expect(label(moveFocus(layout, id('A-2-3'), 'home'))).toBe('A-2-1');
    expect(label(moveFocus(layout, id('A-2-3'), 'end'))).toBe('B-2-4');
  });

  it('names every seat for screen readers', () => {
    expect(layout.byId.get(id('A-3-4'))!.name).toBe('Section A, row 3, seat 4, General, $45, wheelchair accessible');
  });
});
