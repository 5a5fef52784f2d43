import { describe, expect, it } from 'vitest';
import { initialMark, offlineStatus, onlineStatus } from './status-report.ts';

describe('status report', () => {
  const identity = { gateway: 'gw-1', zone: 'z1', version: '1.2.3', startedMs: 1_000_000 };
  it('reports rates since the previous heartbeat and the counters', () => {
    const counters = {
      advertsTotal: 3000,
      windowsClosed: 3,
      sightingsTotal: 12,
      outboxDepth: 2,
      outboxDropped: 1,
      adapterState: 'poweredOn' as const,
      resets: 1,
      reconnects: 4,
      clockOffsetMs: -12.4,
      rssBytes: 50 * 1024 * 1024,
    };
    const first = onlineStatus(identity, counters, initialMark(1_000_000), 1_030_000);
    expect(first.status).toEqual({
      v: 1,
      gateway: 'gw-1',
      state: 'online',
      zone: 'z1',
      version: '1.2.3',
      at: 1030,
      uptimeSeconds: 30,
      advertsPerSecond: 100,
      optInSightingsPerWindow: 4,
      outboxDepth: 2,
      dropped: 1,
      adapterState: 'poweredOn',
      resets: 1,
      reconnects: 4,
      clockOffsetMs: -12,
      rssMb: 50,
    });
    const second = onlineStatus(identity, { ...counters, advertsTotal: 3600 }, first.mark, 1_060_000);
    expect(second.status).toMatchObject({ advertsPerSecond: 20, optInSightingsPerWindow: 4 });
    expect(offlineStatus(identity)).toEqual({ v: 1, gateway: 'gw-1', state: 'offline', zone: 'z1', version: '1.2.3' });
  });
});
