import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { seatedAvailability } from '@/testing/fixtures';
import { SeatMap } from './seat-map';

function Harness({ taken = [] as string[], onToggleSpy = (_: number) => {} }) {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  return (
    <SeatMap
      sections={seatedAvailability(taken).sections}
      selected={selected}
      onToggle={(seatId) => {
        onToggleSpy(seatId);
        setSelected((s) => {
          const next = new Set(s);
          if (next.has(seatId)) next.delete(seatId);
          else next.add(seatId);
          return next;
        });
      }}
    />
  );
}

const seat = (name: string) => screen.getByRole('checkbox', { name: new RegExp(`^${name},`) });

describe('SeatMap', () => {
  it('draws every seat, greys out taken ones and marks accessible seats as squares', () => {
    render(<Harness taken={['A-1-2']} />);
    expect(screen.getAllByRole('checkbox')).toHaveLength(24);
    expect(seat('Section A, row 1, seat 2')).toHaveAttribute('aria-disabled', 'true');
    expect(seat('Section A, row 1, seat 2')).toHaveAccessibleName(/unavailable$/);
    const accessible = seat('Section A, row 3, seat 4');
    expect(accessible.tagName.toLowerCase()).toBe('rect');
    expect(accessible).toHaveAccessibleName(/wheelchair accessible/);
    expect(screen.getByRole('list', { name: 'Seat map legend' })).toHaveTextContent('VIP · $120.00');
  });

  it('selects and releases a seat with a click, and ignores taken seats', async () => {
    const user = userEvent.setup();
    const spy = vi.fn();
    render(<Harness taken={['A-1-2']} onToggleSpy={spy} />);
    await user.click(seat('Section A, row 1, seat 1'));
    expect(seat('Section A, row 1, seat 1')).toHaveAttribute('aria-checked', 'true');
    await user.click(seat('Section A, row 1, seat 2'));
    expect(seat('Section A, row 1, seat 2')).toHaveAttribute('aria-checked', 'false');
    await user.click(seat('Section A, row 1, seat 1'));
    expect(seat('Section A, row 1, seat 1')).toHaveAttribute('aria-checked', 'false');
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('has one tab stop and moves it with the arrow keys; Space selects', async () => {
    const user = userEvent.setup();
    render(<Harness taken={['A-1-2']} />);
    const tabbable = screen.getAllByRole('checkbox').filter((el) => el.getAttribute('tabindex') === '0');
    expect(tabbable).toHaveLength(1);

    await user.tab(); // the section buttons come first
    while (document.activeElement?.getAttribute('role') !== 'checkbox') await user.tab();
    expect(seat('Section A, row 1, seat 1')).toHaveFocus();

    await user.keyboard('{ArrowRight}');
    expect(seat('Section A, row 1, seat 2')).toHaveFocus();
    await user.keyboard(' '); // taken: nothing happens
    expect(seat('Section A, row 1, seat 2')).toHaveAttribute('aria-checked', 'false');

    await user.keyboard('{ArrowDown}');
    expect(seat('Section A, row 2, seat 2')).toHaveFocus();
    await user.keyboard(' ');
    expect(seat('Section A, row 2, seat 2')).toHaveAttribute('aria-checked', 'true');
    await user.keyboard('{End}{Enter}');
    expect(seat('Section B, row 2, seat 4')).toHaveFocus();
    expect(seat('Section B, row 2, seat 4')).toHaveAttribute('aria-checked', 'true');

    // Still exactly one tab stop, on the focused seat.
    const stops = screen.getAllByRole('checkbox').filter((el) => el.getAttribute('tabindex') === '0');
    expect(stops).toEqual([seat('Section B, row 2, seat 4')]);
  });

  it('focuses a section when its button is pressed', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    const svg = screen.getByRole('group', { name: /Seat map, 24 seats/ });
    const full = svg.getAttribute('viewBox');
    await user.click(screen.getByRole('button', { name: 'Section B' }));
    expect(screen.getByRole('button', { name: 'Section B' })).toHaveAttribute('aria-pressed', 'true');
    expect(svg.getAttribute('viewBox')).not.toBe(full);
    await user.click(screen.getByRole('button', { name: 'All' }));
    expect(svg.getAttribute('viewBox')).toBe(full);
  });
});
