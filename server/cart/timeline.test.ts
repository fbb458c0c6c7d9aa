import { describe, it, expect } from 'vitest';
import { versionAt } from './timeline';

// Events in version order (index + 1 = version); versions 3, 4 and 5 share one millisecond.
const T = (iso: string) => ({ occurredAt: iso });
const events = [
  T('2025-01-01T09:00:00.000Z'), // v1
  T('2025-01-01T09:05:00.000Z'), // v2
  T('2025-01-01T09:10:00.250Z'), // v3
  T('2025-01-01T09:10:00.250Z'), // v4
  T('2025-01-01T09:10:00.250Z'), // v5
  T('2025-01-01T10:00:00.000Z'), // v6
];
const d = (iso: string) => new Date(iso);

describe('versionAt', () => {
  it('a time before the first event -> 0 (the cart did not exist yet)', () => {
    expect(versionAt(events, d('2025-01-01T08:59:59.999Z'))).toBe(0);
    expect(versionAt(events, d('2024-06-01T00:00:00.000Z'))).toBe(0);
  });

  it('no events at all -> 0', () => {
    expect(versionAt([], d('2025-01-01T09:00:00.000Z'))).toBe(0);
  });

  it("exactly at an event's time -> that version (inclusive)", () => {
    expect(versionAt(events, d('2025-01-01T09:00:00.000Z'))).toBe(1);
    expect(versionAt(events, d('2025-01-01T09:05:00.000Z'))).toBe(2);
    expect(versionAt(events, d('2025-01-01T10:00:00.000Z'))).toBe(6);
  });

  it('several events in the same millisecond -> the last of them', () => {
    expect(versionAt(events, d('2025-01-01T09:10:00.250Z'))).toBe(5);
    const allAtOnce = [T('2025-01-01T09:00:00.000Z'), T('2025-01-01T09:00:00.000Z'), T('2025-01-01T09:00:00.000Z')];
    expect(versionAt(allAtOnce, d('2025-01-01T09:00:00.000Z'))).toBe(3);
  });

  it('one millisecond before a same-millisecond group -> the version before the group', () => {
    expect(versionAt(events, d('2025-01-01T09:10:00.249Z'))).toBe(2);
  });

  it('a time in the future -> the last version', () => {
    expect(versionAt(events, d('2099-12-31T23:59:59.999Z'))).toBe(6);
    expect(versionAt(events, d('2025-01-01T10:00:00.001Z'))).toBe(6);
  });

  it('between two events -> the earlier one', () => {
    expect(versionAt(events, d('2025-01-01T09:02:30.000Z'))).toBe(1);
    expect(versionAt(events, d('2025-01-01T09:05:00.001Z'))).toBe(2);
    expect(versionAt(events, d('2025-01-01T09:10:00.251Z'))).toBe(5);
    expect(versionAt(events, d('2025-01-01T09:59:59.999Z'))).toBe(5);
  });

  it('accepts offsets other than Z (compares instants, not strings)', () => {
    const shifted = [T('2025-01-01T10:00:00.000+01:00'), T('2025-01-01T09:30:00.000Z')];
    expect(versionAt(shifted, d('2025-01-01T09:00:00.000Z'))).toBe(1);
    expect(versionAt(shifted, d('2025-01-01T09:29:59.999Z'))).toBe(1);
    expect(versionAt(shifted, d('2025-01-01T09:30:00.000Z'))).toBe(2);
  });
});
