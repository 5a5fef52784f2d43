import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic, statusTopic } from '../../shared/protocol/topics.ts';
import { TEST_STORE } from '../helpers/hub-fixtures.ts';
import { checkExposition, type Sample } from '../helpers/prometheus-text.ts';
import { startStatusHub, type StatusHub } from './status-page-fixture.ts';

/**
 * GET /metrics on the hub (docs/field-guide.md#metrics): the Prometheus text format, the
 * technician token required, the gateways' last status, the ingest counters, the quarantine,
 * the storage and the releases — and nothing about a shopper (no id, key, token, no counts of
 * shoppers or of their choices).
 */
describe('hub /metrics', () => {
  let t: StatusHub;
  let shopper: { id: string; identityKey: Buffer; token: string };
  beforeAll(async () => {
    t = await startStatusHub({ gateways: [{ id: 'gw-1', zone: 'produce' }] });
    const enrolled = t.hub.shoppers.enroll({ exponent: 9, consent: { presenceForOffers: true, analytics: true } });
    shopper = { id: enrolled.shopper.id, identityKey: enrolled.shopper.identityKey, token: enrolled.token };
    const client = await t.connectGateway('gw-1');
    await client.publishAsync(
      statusTopic(TEST_STORE, 'gw-1'),
      encodePayload('GatewayStatus', {
        v: 1,
        gateway: 'gw-1',
        state: 'online',
        advertsPerSecond: 42.5,
        optInSightingsPerWindow: 3,
        outboxDepth: 7,
        dropped: 2,
        reconnects: 1,
        clockOffsetMs: -250,
      }),
      { qos: 1, retain: true },
    );
    const now = Math.floor(Date.now() / 1000);
    const windowStart = now - (now % 10) - 30;
    await client.publishAsync(
      presenceTopic(TEST_STORE, 'gw-1'),
      encodePayload('PresenceBatch', {
        v: 1,
        gateway: 'gw-1',
        seq: 1,
        windowStart,
        windowSeconds: 10,
        sightings: [
          {
            eid: computeEidHex({ identityKey: shopper.identityKey, exponent: 9, counter: windowStart }),
            band: 'near',
            hits: 4,
          },
        ],
        dropped: 0,
      }),
      { qos: 1 },
    );
    await client.publishAsync(presenceTopic(TEST_STORE, 'gw-1'), Buffer.from('{"v":1,'), { qos: 1 });
    await client.endAsync();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const scrape = (headers: Record<string, string> = { authorization: `Bearer ${t.technicianToken}` }) =>
    t.call('GET', '/metrics', { headers });
  const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  it('needs the technician token', async () => {
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${shopper.token}` })).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer not-the-token-0123456789' })).status).toBe(401);
  });

  it('answers in the Prometheus text format with the system figures', async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { problems, samples } = checkExposition(res.text);
    expect(problems).toEqual([]);
    const gw = { gateway: 'gw-1', zone: 'produce' };
    expect(value(samples, 'hub_gateways', { state: 'online' })).toBe(1);
    expect(value(samples, 'hub_gateway_adverts_per_second', gw)).toBe(42.5);
    expect(value(samples, 'hub_gateway_opt_in_sightings_per_window', gw)).toBe(3);
    expect(value(samples, 'hub_gateway_outbox_depth', gw)).toBe(7);
    expect(value(samples, 'hub_gateway_dropped', gw)).toBe(2);
    expect(value(samples, 'hub_gateway_reconnects', gw)).toBe(1);
    expect(value(samples, 'hub_gateway_clock_offset_seconds', gw)).toBe(-0.25);
    expect(value(samples, 'hub_ingest_total', { counter: 'batches' })).toBe(1);
    expect(value(samples, 'hub_ingest_total', { counter: 'quarantined' })).toBe(1);
    expect(value(samples, 'hub_quarantined_payloads')).toBe(1);
    expect(value(samples, 'hub_storage_ok')).toBe(1);
    expect(value(samples, 'hub_upstream_pending')).toBe(0);
    expect(value(samples, 'hub_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(samples.some((s) => s.name === 'hub_http_requests_total')).toBe(true);
  });

  it('says nothing about a shopper', async () => {
    const { text } = await scrape();
    for (const secret of [shopper.id, shopper.identityKey.toString('hex'), shopper.token, t.technicianToken])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/pausedDiscarded|noConsentDiscarded|enrolled|shoppers/i);
  });
});
