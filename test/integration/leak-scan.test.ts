import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../../gateway/testing/harness.ts';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic, releaseTopic } from '../../shared/protocol/topics.ts';
import { httpsJson, startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';
import { getJson, incomingOf, startTestHq, type TestHq } from './hq-fixtures.ts';

/**
 * The leak scan (docs/security.md, "Leak scan"): a day of a store — 40 shoppers enrolled through
 * the API, their rotating EIDs heard by two gateways over real MQTT, visits built, the day's DP
 * releases computed — then the releases go to a real HQ. Every byte that could leave a person's
 * data is scanned for every identity key (hex, base64, raw bytes), bearer token, token hash, EID,
 * shopper id, gateway credential and the admin and technician tokens: the hub's log lines, its
 * Prometheus text, its status JSON, the release payloads sent upstream, HQ's database files and
 * HQ's API answers. The hub's own database may hold identity keys, shopper ids and EIDs (it must,
 * to resolve them) but never a raw token, credential or the admin/technician token. And no exact
 * shopper count leaves: the released footfall differs from the true count in most cells.
 */

const T0 = Date.parse('2026-11-16T08:00:00Z'); // a Monday
const SHOPPERS = 40;
const TECH = 'technician-token-for-the-leak-scan';

interface Secret {
  readonly what: string;
  readonly value: string;
  /** May appear in the hub's own database (it is where it belongs). */
  readonly inHubDb: boolean;
}

function filesUnder(dir: string, only: (name: string) => boolean = () => true): Buffer {
  return Buffer.concat(
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && only(e.name))
      .map((e) => readFileSync(join(e.parentPath, e.name))),
  );
}

function holds(haystack: Buffer, value: string): boolean {
  return haystack.includes(value) || haystack.includes(value.toUpperCase());
}

describe('leak scan: hub, upstream and HQ', () => {
  const captured = captureLogger('trace');
  const clock = new FakeClock(T0);
  const secretsDir = mkdtempSync(join(tmpdir(), 'hp-leak-'));
  const secrets: Secret[] = [];
  const eids: string[] = [];
  let t: TestHub;
  let hq: TestHq;
  const truth = new Map<string, number>(); // zone → distinct shoppers
  const visible: Buffer[] = [];

  beforeAll(async () => {
    writeFileSync(join(secretsDir, 'technician.token'), `${TECH}\n`, { mode: 0o600 });
    t = await startTestHub({
      clock,
      logger: captured.logger,
      gateways: [
        { id: 'gw-bakery', zone: 'bakery' },
        { id: 'gw-dairy', zone: 'dairy' },
      ],
      config: {
        api: { technicianTokenFile: join(secretsDir, 'technician.token') },
        presence: { finalizeIntervalMs: 600_000 },
      },
    });
    secrets.push({ what: 'admin token', value: t.adminToken, inHubDb: false });
    secrets.push({ what: 'technician token', value: TECH, inHubDb: false });
    for (const [id, credential] of t.credentials)
      secrets.push({ what: `credential of ${id}`, value: credential, inHubDb: false });
    const shoppers: Array<{ id: string; identityKey: string; token: string }> = [];
    for (let i = 0; i < SHOPPERS; i++) {
      const res = await t.request('POST', '/v1/shoppers', {
        body: { consent: { presenceForOffers: true, analytics: true }, exponent: 4 },
      });
      shoppers.push(res.body as (typeof shoppers)[number]);
    }
    for (const s of shoppers) {
      const key = Buffer.from(s.identityKey, 'hex');
      secrets.push(
        { what: 'identity key', value: s.identityKey, inHubDb: true },
        { what: 'identity key (base64)', value: key.toString('base64'), inHubDb: true },
        { what: 'bearer token', value: s.token, inHubDb: false },
        { what: 'token hash', value: createHash('sha256').update(s.token).digest('hex'), inHubDb: true },
        { what: 'shopper id', value: s.id, inHubDb: true },
      );
    }

    // A morning: each shopper is heard in one or two zones over a few 10 s windows.
    const gws = { bakery: await t.connectGateway('gw-bakery'), dairy: await t.connectGateway('gw-dairy') };
    const seq = { bakery: 0, dairy: 0 };
    for (let w = 0; w < 6; w++) {
      const windowStart = T0 / 1000 + w * 10;
      for (const zone of ['bakery', 'dairy'] as const) {
        const sightings = shoppers
          .filter((_, i) => (zone === 'bakery' ? i % 3 !== 2 : i % 2 === 0))
          .map((s) => {
            const eid = computeEidHex({
              identityKey: Buffer.from(s.identityKey, 'hex'),
              exponent: 4,
              counter: windowStart,
            });
            eids.push(eid);
            return { eid, band: 'near' as const, hits: 4 };
          });
        await gws[zone].publishAsync(
          presenceTopic(TEST_STORE, `gw-${zone}`),
          encodePayload('PresenceBatch', {
            v: 1,
            gateway: `gw-${zone}`,
            seq: seq[zone]++,
            windowStart,
            windowSeconds: 10,
            sightings,
            dropped: 0,
          }),
          { qos: 1 },
        );
      }
    }
    for (const e of new Set(eids)) secrets.push({ what: 'EID', value: e, inHubDb: true });
    clock.set(T0 + 3_600_000);
    await t.hub.finalizePresence({ all: true });
    for (const row of t.hub.db
      .prepare('SELECT zone, COUNT(DISTINCT shopper_pk) AS n FROM zone_windows GROUP BY zone')
      .all() as Array<{ zone: string; n: number }>)
      truth.set(row.zone, row.n);
    // The next day, after the settle time: the day's releases.
    const report = await t.hub.privacy.runDue(Date.parse('2026-11-17T03:00:00Z'));
    expect(report.computed.length).toBeGreaterThan(0);

    const metrics = await httpsJson(t.apiUrl('/metrics'), t.caPem, 'GET', undefined, TECH);
    expect(metrics.status).toBe(200);
    visible.push(Buffer.from(String(metrics.body)));
    const status = await httpsJson(t.apiUrl('/v1/technician/status'), t.caPem, 'GET', undefined, TECH);
    expect(status.status).toBe(200);
    visible.push(Buffer.from(JSON.stringify(status.body)));

    const releases = t.hub.db.prepare('SELECT id, kind, body FROM privacy_releases').all() as Array<{
      id: string;
      kind: string;
      body: Buffer;
    }>;
    visible.push(...releases.map((r) => r.body));
    hq = await startTestHq({ chain: { stores: [{ id: TEST_STORE, group: 'north' }] }, token: 'hq-analyst-token-0123' });
    const stored = await hq.hq.store.ingest(
      incomingOf(
        releases.map((r) => ({
          store: TEST_STORE,
          kind: r.kind,
          releaseId: r.id,
          topic: releaseTopic(TEST_STORE, r.kind),
          body: r.body,
          truth: [],
          windowEnd: 0,
        })),
      ),
      Date.now(),
    );
    expect(stored).toEqual(releases.map(() => 'stored'));
    expect(releases.length).toBeGreaterThanOrEqual(2); // the day's footfall and visits
    const auth = { authorization: 'Bearer hq-analyst-token-0123' };
    for (const path of ['/v1/views/footfall', '/v1/pooled/footfall', '/v1/stores', '/v1/ingest', '/metrics'])
      visible.push(
        Buffer.from(JSON.stringify((await getJson(`${hq.url}${path}?from=2026-11-16&to=2026-11-16`, auth)).body)),
      );
  }, 120_000);

  afterAll(async () => {
    await hq?.stop();
    await t?.stop();
    rmSync(secretsDir, { recursive: true, force: true });
  });

  it('finds no secret or personal identifier in logs, metrics, status, upstream payloads or HQ', async () => {
    const logs = Buffer.from(captured.lines.join('\n'));
    // HQ's folder: its database files (the config and key files hold no shopper data).
    const hqFiles = filesUnder(hq.dir, (name) => name.startsWith('hq.db'));
    expect(hqFiles.length).toBeGreaterThan(4096);
    const outside = Buffer.concat([logs, ...visible, hqFiles]);
    expect(captured.lines.length).toBeGreaterThan(5);
    const found: string[] = [];
    for (const s of secrets) {
      if (holds(outside, s.value)) found.push(`${s.what} ${s.value.slice(0, 6)}… outside the hub database`);
      if (s.what === 'identity key' && outside.includes(Buffer.from(s.value, 'hex')))
        found.push('raw identity key bytes');
    }
    expect(found).toEqual([]);
  });

  it("keeps raw tokens and credentials out of the hub's own database", () => {
    t.hub.db.pragma('wal_checkpoint(TRUNCATE)');
    const db = filesUnder(t.dir, (name) => name.startsWith('hub.db'));
    expect(db.length).toBeGreaterThan(4096);
    const found = secrets.filter((s) => !s.inHubDb && holds(db, s.value)).map((s) => s.what);
    expect(found).toEqual([]);
  });

  it('releases no exact shopper count: the released footfall is noisy in most cells', async () => {
    const footfall = t.hub.db.prepare("SELECT body FROM privacy_releases WHERE kind = 'footfall'").all() as Array<{
      body: Buffer;
    }>;
    expect(footfall.length).toBeGreaterThan(0);
    let cells = 0;
    let exact = 0;
    for (const { body } of footfall) {
      const payload = JSON.parse(body.toString()) as {
        cells: string[];
        measures: Array<{ values: number[]; granularity: string }>;
      };
      const g =
        Number(payload.measures[0]?.granularity.split('/')[0]) /
        Number(payload.measures[0]?.granularity.split('/')[1] ?? 1);
      payload.cells.forEach((zone, i) => {
        cells++;
        if ((payload.measures[0]?.values[i] as number) * g === (truth.get(zone) ?? 0)) exact++;
      });
    }
    expect(cells).toBeGreaterThan(0);
    // The discrete Gaussian puts well under half its mass on 0 at the default σ.
    expect(exact / cells).toBeLessThan(0.5);
  });
});
