import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { createTechnicianSessions } from './technician-sessions.ts';

describe('technician sessions', () => {
  it('accepts a session until it expires or is revoked', () => {
    const sessions = createTechnicianSessions({ random: new SeededRandomSource(1), lifetimeMs: 1000 });
    const id = sessions.create(0);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.valid(id, 999)).toBe(true);
    expect(sessions.valid(id, 1000)).toBe(false);
    expect(sessions.size).toBe(0);
    const other = sessions.create(0);
    expect(sessions.valid(`${other}x`, 1)).toBe(false);
    expect(sessions.valid('', 1)).toBe(false);
    sessions.revoke(other);
    expect(sessions.valid(other, 1)).toBe(false);
  });

  it('keeps at most maxSessions, dropping the oldest', () => {
    const sessions = createTechnicianSessions({
      random: new SeededRandomSource(2),
      lifetimeMs: 60_000,
      maxSessions: 3,
    });
    const ids = [0, 1, 2, 3].map((t) => sessions.create(t));
    expect(sessions.size).toBe(3);
    expect(ids.map((id) => sessions.valid(id, 10))).toEqual([false, true, true, true]);
  });
});
