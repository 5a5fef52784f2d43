import { describe, expect, it } from 'vitest';
import { decodePayload, decodePresenceBatch, encodePayload } from './codec.ts';
import type { PresenceBatch } from './messages.ts';

const NOW = 1_790_000_000;
const batch: PresenceBatch = {
  v: 1,
  gateway: 'gw-entrance',
  seq: 42,
  windowStart: NOW - (NOW % 10),
  windowSeconds: 10,
  sightings: [
    { eid: 'a9b76a71c5f89290', band: 'near', hits: 12 },
    { eid: '4144413e45fefa58', band: 'far', hits: 3 },
  ],
  dropped: 0,
};

function problems(value: unknown) {
  const result = decodePresenceBatch(JSON.stringify(value), { nowSeconds: NOW });
  return result.ok ? [] : result.problems;
}

describe('protocol payloads', () => {
  it('round-trips every payload type', () => {
    const payloads = {
      PresenceBatch: batch,
      GatewayStatus: {
        v: 1,
        gateway: 'gw-a',
        state: 'online',
        version: '0.1.0',
        at: NOW,
        uptimeSeconds: 5,
        advertsPerSecond: 120.5,
        optInSightingsPerWindow: 3,
        outboxDepth: 0,
        dropped: 0,
        adapterState: 'poweredOn',
        resets: 0,
        reconnects: 1,
        clockOffsetMs: -12,
        rssMb: 48.2,
      },
      Command: { v: 1, transaction: 't-1', args: { seconds: 10 } },
      CommandReply: {
        v: 1,
        transaction: 't-1',
        ok: false,
        error: { code: 'BLE_ADAPTER_UNAVAILABLE', message: 'no adapter' },
      },
      HubClock: { v: 1, hubTimeMs: NOW * 1000 },
    } as const;
    for (const [name, value] of Object.entries(payloads)) {
      const key = name as keyof typeof payloads;
      const decoded = decodePayload(key, encodePayload(key, value as never));
      expect(decoded).toEqual({ ok: true, value });
    }
    expect(decodePresenceBatch(encodePayload('PresenceBatch', batch), { nowSeconds: NOW })).toEqual({
      ok: true,
      value: batch,
    });
  });

  it('reports every problem with its JSON pointer', () => {
    const bad = {
      ...batch,
      v: 2,
      seq: -1,
      extra: true,
      sightings: [{ eid: 'A9B76A71C5F8929Z', band: 'close', hits: 0 }],
    } as Record<string, unknown>;
    delete bad.dropped;
    const found = problems(bad)
      .map((p) => p.path)
      .sort();
    expect(found).toEqual(
      ['/dropped', '/extra', '/seq', '/sightings/0/band', '/sightings/0/eid', '/sightings/0/hits', '/v'].sort(),
    );
  });

  it.each([
    ['wrong version', { ...batch, v: 2 }, '/v', /expected 1/],
    ['missing field', (({ seq: _s, ...rest }) => rest)(batch), '/seq', /is required/],
    ['extra field', { ...batch, mac: 'aa:bb' }, '/mac', /not allowed/],
    [
      'out-of-range hits',
      { ...batch, sightings: [{ eid: 'a9b76a71c5f89290', band: 'near', hits: 70000 }] },
      '/sightings/0/hits',
      /<= 65535/,
    ],
    ['window too long', { ...batch, windowSeconds: 7200 }, '/windowSeconds', /<= 3600/],
    [
      'oversized array',
      {
        ...batch,
        sightings: Array.from({ length: 5001 }, (_, i) => ({
          eid: i.toString(16).padStart(16, '0'),
          band: 'mid',
          hits: 1,
        })),
      },
      '/sightings',
      /at most 5000/,
    ],
    [
      'non-hex EID',
      { ...batch, sightings: [{ eid: 'not-hex-not-hex!', band: 'near', hits: 1 }] },
      '/sightings/0/eid',
      /matching/,
    ],
    ['short EID', { ...batch, sightings: [{ eid: 'a9b7', band: 'near', hits: 1 }] }, '/sightings/0/eid', /matching/],
    ['negative seq', { ...batch, seq: -1 }, '/seq', />= 0/],
    [
      'windowStart in the far future',
      { ...batch, windowStart: NOW + 86_400 - ((NOW + 86_400) % 10) },
      '/windowStart',
      /in the future/,
    ],
    ['unaligned window', { ...batch, windowStart: batch.windowStart + 3 }, '/windowStart', /multiple of windowSeconds/],
    [
      'duplicate EID',
      { ...batch, sightings: [batch.sightings[0], batch.sightings[0]] },
      '/sightings/1/eid',
      /already appears/,
    ],
    ['gateway id with a slash', { ...batch, gateway: 'gw/evil' }, '/gateway', /matching/],
  ])('rejects %s', (_name, value, path, message) => {
    const found = problems(value);
    expect(found.map((p) => p.path)).toContain(path);
    expect(found.find((p) => p.path === path)?.message).toMatch(message);
  });

  it('rejects non-JSON and oversized payloads without throwing', () => {
    expect(decodePresenceBatch('{not json', { nowSeconds: NOW })).toMatchObject({
      ok: false,
      problems: [{ path: '', message: expect.stringMatching(/not valid JSON/) }],
    });
    expect(decodePresenceBatch('x'.repeat(600 * 1024), { nowSeconds: NOW })).toMatchObject({
      ok: false,
      problems: [{ message: expect.stringMatching(/bytes, expected at most/) }],
    });
  });

  it('refuses to encode an invalid payload', () => {
    expect(() => encodePayload('PresenceBatch', { ...batch, seq: -5 })).toThrow(/\/seq/);
  });
});
