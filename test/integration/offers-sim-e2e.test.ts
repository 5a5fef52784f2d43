import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSseParser } from '../../shared/sse-parser.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { replayTracesIntoHub, type ReplayedGateways } from '../../scripts/zone-accuracy/pipeline.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { generate, type ShoppersFile } from '../../scripts/sim/generate.ts';
import { loadStore } from '../../scripts/sim/load-store.ts';
import type { ZoneEnterEvent } from '../../hub/mod.ts';
import { startTestHub, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * End to end: the simulator's small store → one real gateway per trace (noble's parser, opt-in
 * filter, windows, SQLite outbox, mqtt.js over TLS) → the hub (EID resolution, presence model,
 * zone entries) → the offers engine → each shopper's app, which enrolled through the API and
 * listens on GET /v1/me/offers/stream. Every offer that arrives on a stream is explained by the
 * shopper's audit trail, and every zone entry into a zone with offers has exactly one audit
 * entry (an offer, or a refusal with its reason).
 */

const STORE = join(import.meta.dirname, '../../scripts/stores/fashion-small.yaml');
const MINUTES = 10;
const SEED = 'offers-e2e';
const NEAR_DBM = -70;
const MID_DBM = -78;

interface StreamEvent {
  id: string;
  data: { id: string; zone: string; offer: { id: string; zones: string[]; category: string }; state: string };
}
interface AuditEntry {
  id: string;
  zone: string;
  outcome: string;
  arm: string | null;
  draw: string | null;
  epsilonSpent: number;
  dataCategories: string[];
  explanation: string;
  refusal: { reason: string; message: string } | null;
  offer: { id: string; sensitivity: string } | null;
}

function listen(t: TestHub, token: string, into: StreamEvent[]): () => void {
  const req = request(
    t.apiUrl('/v1/me/offers/stream'),
    { ca: t.caPem, headers: { authorization: `Bearer ${token}` } },
    (res) => {
      res.setEncoding('utf8');
      res.on(
        'data',
        createSseParser((e) => {
          if (e.event === 'offer') into.push({ id: e.id ?? '', data: JSON.parse(e.data) as StreamEvent['data'] });
        }),
      );
    },
  );
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

describe('offers end to end on a simulated store', () => {
  const simDir = mkdtempSync(join(tmpdir(), 'hp-offers-sim-'));
  let t: TestHub | null = null;
  let replay: ReplayedGateways | null = null;
  const closers: Array<() => void> = [];
  afterAll(async () => {
    for (const close of closers) close();
    await replay?.stop();
    await t?.stop();
    rmSync(simDir, { recursive: true, force: true });
  });

  it('simulated shoppers receive offers on their streams, and the audit trail explains each', async () => {
    // Yesterday's lunchtime (UTC), inside opening hours; the hub's clock stands just after the walk.
    const startMs = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000 + 12 * 3_600_000;
    // A busier afternoon than the stock store, with more shoppers opted in, so enough phones walk.
    const busy = join(simDir, 'busy.yaml');
    writeFileSync(
      busy,
      readFileSync(STORE, 'utf8')
        .replace(/arrivalsPerHour: .*/, `arrivalsPerHour: [${new Array(11).fill(240).join(', ')}]`)
        .replace('optInFraction: 0.3', 'optInFraction: 0.6'),
    );
    const store = loadStore(busy).config;
    generate({ store, seed: SEED, minutes: MINUTES, startMs, windowSeconds: 10 }, simDir);
    const clock = new FakeClock(startMs + MINUTES * 60_000 + 30_000);
    t = await startTestHub({
      clock,
      gateways: store.gateways.map((g) => ({ id: g.id, zone: g.zone })),
      config: {
        presence: { finalizeIntervalMs: 600_000 },
        offers: {
          quietHours: null,
          holdoutShare: 0.2,
          caps: { perVisit: 3, perDay: 5, minGapSeconds: 0 },
          budget: { periodEpsilon: 4 },
          maxEntryAgeSeconds: 3600,
        },
      },
    });
    const hub = t;
    const catalog = store.zones.flatMap((zone) =>
      ['a', 'b', 'c'].map((suffix, i) => ({
        id: `${zone.id}-${suffix}`,
        title: `${zone.id} offer ${suffix}`,
        category: i === 2 ? 'sale' : zone.id,
        brand: ['Acme', 'Bluefield', 'Rosa'][i],
        zones: [zone.id],
        validFrom: new Date(startMs - 86_400_000).toISOString(),
        validTo: new Date(startMs + 7 * 86_400_000).toISOString(),
        ...(i === 2 ? { sensitivity: 'price-sensitive' } : {}),
      })),
    );
    expect(
      (await hub.request('PUT', '/v1/admin/offers', { token: hub.adminToken, body: { offers: catalog } })).status,
    ).toBe(200);

    // Each simulated phone's app enrolls (getting its token), then the hub takes the simulator's
    // identity key for that id (as a migration would), so the phone's EIDs resolve to it.
    const simShoppers = (
      JSON.parse(readFileSync(join(simDir, 'shoppers.json'), 'utf8')) as ShoppersFile
    ).shoppers.filter((s) => s.carrier !== null);
    expect(simShoppers.length).toBeGreaterThanOrEqual(8);
    const apps = new Map<string, { token: string; events: StreamEvent[] }>();
    for (const [i, s] of simShoppers.entries()) {
      const enrolled = (
        await hub.request('POST', '/v1/shoppers', { body: { consent: { presenceForOffers: true, analytics: true } } })
      ).body as { id: string; token: string };
      hub.hub.shoppers.import([
        { id: enrolled.id, identityKey: Buffer.from(s.identityKey, 'hex'), exponent: s.exponent },
      ]);
      if (i % 2 === 0)
        await hub.request('PUT', '/v1/me/preferences', {
          token: enrolled.token,
          body: { categories: ['denim', 'sale'], brands: ['Rosa'] },
        });
      const events: StreamEvent[] = [];
      closers.push(listen(hub, enrolled.token, events));
      apps.set(enrolled.id, { token: enrolled.token, events });
    }
    const entries: ZoneEnterEvent[] = [];
    hub.hub.events.on('zoneEnter', (e) => entries.push(e));

    replay = await replayTracesIntoHub(hub, store, simDir, { nearDbm: NEAR_DBM, midDbm: MID_DBM });
    await hub.hub.finalizePresence({ all: true });

    const shownInDb = hub.hub.db
      .prepare("SELECT COUNT(*) FROM offer_decisions WHERE outcome = 'shown'")
      .pluck()
      .get() as number;
    await expect
      .poll(() => [...apps.values()].reduce((n, a) => n + a.events.length, 0), { timeout: 10_000, interval: 50 })
      .toBe(shownInDb);

    const offerZones = new Set(store.zones.map((z) => z.id));
    let receivers = 0;
    let explained = 0;
    const arms = new Set<string>();
    for (const [id, app] of apps) {
      const audit = (
        (await hub.request('GET', '/v1/me/audit?limit=1000', { token: app.token })).body as { entries: AuditEntry[] }
      ).entries;
      const myEntries = entries.filter((e) => e.shopperId === id && offerZones.has(e.zone));
      // Every zone entry into a zone with offers has exactly one audit entry.
      expect(audit.length, id).toBe(myEntries.length);
      expect(audit.map((a) => a.zone).sort(), id).toEqual(myEntries.map((e) => e.zone).sort());
      // Every offer on the stream is explained by a "shown" entry of the audit trail, and vice versa.
      const shown = audit.filter((a) => a.outcome === 'shown');
      expect(app.events.map((e) => e.data.id).sort(), id).toEqual(shown.map((a) => a.id).sort());
      for (const event of app.events) {
        const entry = shown.find((a) => a.id === event.data.id) as AuditEntry;
        expect(event.data.offer.zones).toContain(event.data.zone);
        expect(entry.zone).toBe(event.data.zone);
        expect(entry.offer?.id).toBe(event.data.offer.id);
        expect(entry.explanation).toContain(` in ${entry.zone}`);
        expect(entry.dataCategories).toContain('presence');
        // Each zone holds a price-sensitive offer, so a new personalised draw costs ε 0.5; the
        // holdout and a draw shown again (sticky, or kept at the cap) cost nothing.
        expect(entry.epsilonSpent).toBe(entry.draw === 'fresh' ? 0.5 : 0);
        arms.add(entry.arm as string);
        explained++;
      }
      for (const refusal of audit.filter((a) => a.outcome === 'refused')) {
        expect(['visit-cap', 'daily-cap', 'period-budget-exhausted']).toContain(refusal.refusal?.reason);
        expect(refusal.explanation).toMatch(/^No offer: /);
      }
      if (app.events.length > 0) receivers++;
    }
    console.info(
      `offers e2e (fashion-small, ${MINUTES} min, seed ${SEED}): ${JSON.stringify({ appShoppers: apps.size, receivers, offers: explained, zoneEntries: entries.length, arms: [...arms] })}`,
    );
    expect(receivers).toBeGreaterThanOrEqual(Math.ceil(apps.size / 2));
    expect(explained).toBeGreaterThanOrEqual(receivers);
  });
});
