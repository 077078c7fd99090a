import { announcementBucket, formatCountdown, spokenCountdown } from './countdown';

describe('hold countdown', () => {
  it('formats mm:ss, rounding seconds up and never below zero', () => {
    expect(formatCountdown(600_000)).toBe('10:00');
    expect(formatCountdown(599_001)).toBe('10:00');
    expect(formatCountdown(599_000)).toBe('09:59');
    expect(formatCountdown(65_000)).toBe('01:05');
    expect(formatCountdown(900)).toBe('00:01');
    expect(formatCountdown(0)).toBe('00:00');
    expect(formatCountdown(-5_000)).toBe('00:00');
  });

  it('speaks whole minutes, then every 15 seconds in the last minute', () => {
    expect(spokenCountdown(540_000)).toBe('9 minutes left to complete your booking.');
    expect(spokenCountdown(61_000)).toBe('1 minute 1 second left to complete your booking.');
    expect(spokenCountdown(0)).toBe('Your hold has expired.');
    // The screen-reader text changes at most every 15 s.
    const buckets = new Set<number>();
    let changes = 0;
    let last = announcementBucket(600_000);
    for (let ms = 600_000; ms >= 0; ms -= 1000) {
      const b = announcementBucket(ms);
      if (b !== last) changes++;
      last = b;
      buckets.add(b);
    }
    expect(changes).toBeLessThanOrEqual(600 / 15);
    expect(announcementBucket(125_000)).toBe(180);
    expect(announcementBucket(59_000)).toBe(60);
    expect(announcementBucket(44_000)).toBe(45);
    expect(announcementBucket(0)).toBe(0);
  });
});
