import { describe, expect, it } from 'vitest';
import type { GatewayStatus } from '../../../shared/protocol/messages.ts';
import {
  buildStatusView,
  clockLevel,
  connectionOf,
  counterGroups,
  gatewayView,
  quarantineView,
  type GatewayInput,
  type PrivacyInput,
  type StatusInput,
} from './status-view.ts';

const NOW = 1_790_000_000_000;
const STALE = 120_000;

const status = (extra: Partial<GatewayStatus> = {}): GatewayStatus => ({
  v: 1,
  gateway: 'gw-1',
  state: 'online',
  zone: 'entrance',
  version: '0.1.0',
  at: NOW / 1000,
  uptimeSeconds: 3600,
  advertsPerSecond: 12.5,
  optInSightingsPerWindow: 3,
  outboxDepth: 4,
  dropped: 1,
  adapterState: 'poweredOn',
  resets: 0,
  reconnects: 2,
  clockOffsetMs: -250,
  rssMb: 61.2,
  ...extra,
});

const gateway = (extra: Partial<GatewayInput> = {}): GatewayInput => ({
  id: 'gw-1',
  zone: 'entrance',
  revokedMs: null,
  state: 'online',
  lastStatus: status(),
  lastStatusMs: NOW - 5_000,
  lastBatchMs: null,
  ...extra,
});

describe('connectionOf', () => {
  it.each<[string, Partial<GatewayInput>, string]>([
    ['online and heard recently', {}, 'online'],
    ['online, last heard by a batch', { lastStatusMs: NOW - 600_000, lastBatchMs: NOW - 1_000 }, 'online'],
    ['online but silent past the limit', { lastStatusMs: NOW - STALE - 1 }, 'silent'],
    ['exactly at the limit is still online', { lastStatusMs: NOW - STALE }, 'online'],
    ['online state without any time', { lastStatusMs: null }, 'silent'],
    ['offline will received', { state: 'offline' }, 'offline'],
    ['never heard', { state: 'unknown', lastStatus: null, lastStatusMs: null }, 'unknown'],
    ['revoked wins over online', { revokedMs: NOW - 1 }, 'revoked'],
  ])('%s', (_name, extra, expected) => {
    expect(connectionOf(gateway(extra), NOW, STALE)).toBe(expected);
  });
});

describe('clockLevel', () => {
  it.each([
    [null, 'unknown'],
    [0, 'ok'],
    [2_000, 'ok'],
    [-2_001, 'warn'],
    [30_000, 'warn'],
    [30_001, 'fail'],
    [-90_000, 'fail'],
  ] as const)('%s ms → %s', (offset, level) => {
    expect(clockLevel(offset)).toBe(level);
  });
});

describe('gatewayView', () => {
  it('takes the figures from the last online status', () => {
    expect(gatewayView(gateway(), NOW, { staleAfterMs: STALE, hubVersion: '0.1.0' })).toEqual({
      id: 'gw-1',
      zone: 'entrance',
      connection: 'online',
      lastSeenMs: NOW - 5_000,
      lastSeenAgoSeconds: 5,
      advertsPerSecond: 12.5,
      optInSightingsPerWindow: 3,
      outboxDepth: 4,
      dropped: 1,
      clockOffsetMs: -250,
      clockLevel: 'ok',
      version: '0.1.0',
      versionMismatch: false,
      uptimeSeconds: 3600,
      adapterState: 'poweredOn',
      reconnects: 2,
      figuresFromMs: NOW - 5_000,
    });
  });

  it('shows no figures from an offline will, but keeps the version and flags a mismatch', () => {
    const view = gatewayView(
      gateway({ state: 'offline', lastStatus: { v: 1, gateway: 'gw-1', state: 'offline', version: '0.0.9' } }),
      NOW,
      { staleAfterMs: STALE, hubVersion: '0.1.0' },
    );
    expect(view).toMatchObject({
      connection: 'offline',
      advertsPerSecond: null,
      outboxDepth: null,
      clockOffsetMs: null,
      clockLevel: 'unknown',
      version: '0.0.9',
      versionMismatch: true,
      figuresFromMs: null,
    });
  });

  it('handles a gateway never heard from', () => {
    expect(
      gatewayView(gateway({ state: 'unknown', lastStatus: null, lastStatusMs: null }), NOW, {
        staleAfterMs: STALE,
        hubVersion: '0.1.0',
      }),
    ).toMatchObject({
      connection: 'unknown',
      lastSeenMs: null,
      lastSeenAgoSeconds: null,
      version: null,
      versionMismatch: false,
    });
  });
});

describe('quarantineView', () => {
  it('gives the first reason, the number of problems and an escaped excerpt of the head only', () => {
    const view = quarantineView(7, [
      {
        receivedMs: NOW,
        gateway: 'gw-1',
        topic: 't/presence',
        problems: [
          { path: '/seq', message: 'is -1, expected >= 0' },
          { path: '/v', message: 'is missing' },
        ],
        bytes: 500,
        head: Buffer.from('{"seq":-1,<img src=x onerror=alert(1)>\u0000'),
      },
      { receivedMs: NOW - 1, gateway: 'gw-2', topic: 't/status', problems: [], bytes: 2, head: Buffer.from('{}') },
    ]);
    expect(view.total).toBe(7);
    expect(view.latest[0]).toEqual({
      receivedMs: NOW,
      gateway: 'gw-1',
      topic: 't/presence',
      reason: '/seq is -1, expected >= 0 (and 1 more)',
      problems: 2,
      bytes: 500,
      excerpt: '{"seq":-1,<img src=x onerror=alert(1)>\\x00…',
    });
    expect(view.latest[1]).toMatchObject({ reason: 'no reason recorded', excerpt: '{}' });
  });
});

describe('counterGroups', () => {
  it('labels known counters in groups and keeps unknown ones under Other', () => {
    const groups = counterGroups({ batches: 10, quarantined: 2, gatewaysOnline: 1, offersShown: 4 });
    expect(groups).toEqual([
      { group: 'Ingest', items: [{ name: 'batches', label: 'Presence batches', value: 10 }] },
      { group: 'Refused', items: [{ name: 'quarantined', label: 'Quarantined payloads', value: 2 }] },
      { group: 'Other', items: [{ name: 'offersShown', label: 'offersShown', value: 4 }] },
    ]);
  });
});

const plan = {
  periodUnit: 'quarter',
  periodCap: 1,
  yearRho: 4,
  periodEpsilon: 7.8,
  yearEpsilon: 20.1,
  delta: 1e-6,
  dailyShopperRho: 0.62,
  dailyShopperStaysIn: true,
  releases: [
    { kind: 'footfall', window: 'day', rho: 0.002, windowsPerPeriod: 92, rhoPerPeriod: 0.184, halfWidth95: 88 },
  ],
};

const privacy: PrivacyInput = {
  enabled: true,
  timeZone: 'Europe/Berlin',
  period: '2026-Q3',
  releases: [
    {
      kind: 'footfall',
      releases: 24,
      lastPeriodEndMs: NOW - 3_600_000,
      lastComputedMs: NOW - 3_000_000,
      latest: { window: '2026-09-20', metric: 'shoppers', halfWidth95: 88, cells: [{ cell: 'bakery', value: 812 }] },
    },
  ],
  upstream: {
    enabled: true,
    transport: 'https',
    down: true,
    pending: 3,
    sent: 21,
    rejected: 0,
    oldestPendingMs: NOW - 7_200_000,
    lastError: 'HTTP 503',
    lastSentMs: NOW - 10_800_000,
  },
  plan,
};

const input = (extra: Partial<StatusInput> = {}): StatusInput => ({
  store: 'store-1',
  hubVersion: '0.1.0',
  refreshSeconds: 5,
  staleAfterMs: STALE,
  gateways: [gateway(), gateway({ id: 'gw-2', state: 'offline' }), gateway({ id: 'gw-3', revokedMs: NOW })],
  quarantineTotal: 0,
  quarantine: [],
  counters: { batches: 1 },
  storage: { state: 'ok', sinceMs: null, lastError: null, refused: 0 },
  privacy: null,
  offersPlan: null,
  ...extra,
});

describe('buildStatusView', () => {
  it('counts online gateways among the active ones and says what is not wired', () => {
    const view = buildStatusView(input(), NOW);
    expect(view.gateways).toMatchObject({ total: 2, online: 1 });
    expect(view.gateways.items.map((g) => g.connection)).toEqual(['online', 'offline', 'revoked']);
    expect(view.releases).toEqual({ configured: false, reason: 'the privacy feature is not wired into this hub' });
    expect(view.plan).toEqual({ configured: false, reason: 'the privacy feature is not wired into this hub' });
    expect(view.hub).toEqual({ version: '0.1.0', timeMs: NOW });
  });

  it('shows releases with their latest released values ± 95%, the upstream sync, and the budget plan', () => {
    const view = buildStatusView(
      input({ privacy, offersPlan: { periodEpsilon: 2, epsilonPerOffer: { standard: 1 } } }),
      NOW,
    );
    expect(view.releases).toEqual({
      configured: true,
      error: null,
      enabled: true,
      timeZone: 'Europe/Berlin',
      period: '2026-Q3',
      kinds: [
        {
          kind: 'footfall',
          releases: 24,
          lastPeriodEndMs: NOW - 3_600_000,
          lastComputedMs: NOW - 3_000_000,
          latest: {
            window: '2026-09-20',
            metric: 'shoppers',
            halfWidth95: 88,
            cells: [{ cell: 'bakery', value: 812 }],
          },
        },
      ],
      upstream: {
        enabled: true,
        transport: 'https',
        down: true,
        unsent: 3,
        sent: 21,
        rejected: 0,
        oldestUnsentMs: NOW - 7_200_000,
        lastSentMs: NOW - 10_800_000,
        lastError: 'HTTP 503',
      },
    });
    expect(view.plan).toEqual({
      configured: true,
      error: null,
      analytics: { ...plan, period: '2026-Q3' },
      offers: { periodEpsilon: 2, epsilonPerOffer: { standard: 1 } },
      problems: [],
    });
  });

  it('shows no shopper counts: the plan comes from the config, the figures from releases', () => {
    const text = JSON.stringify(buildStatusView(input({ privacy }), NOW));
    expect(text).not.toMatch(/units|shoppersEnrolled|openVisits|filtered/);
  });

  it('reports a failing provider as an error of its section, and keeps the other plan', () => {
    const view = buildStatusView(
      input({ privacy: new Error('database is locked'), offersPlan: { periodEpsilon: 3, epsilonPerOffer: {} } }),
      NOW,
    );
    expect(view.releases).toEqual({ configured: true, error: 'database is locked' });
    expect(view.plan).toMatchObject({
      configured: true,
      error: null,
      analytics: null,
      offers: { periodEpsilon: 3 },
      problems: ['privacy: database is locked'],
    });
    const alone = buildStatusView(input({ privacy: new Error('boom') }), NOW);
    expect(alone.plan).toEqual({ configured: true, error: 'privacy: boom' });
  });
});
