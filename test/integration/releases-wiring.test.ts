import { readFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTask, validate } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { createHub } from '../../hub/app.ts';
import { startTestHub, writeHubFiles } from '../helpers/hub-fixtures.ts';
import { addPresence, addShoppers } from './releases-fixtures.ts';
import { startCollector } from './upstream-fixtures.ts';

/**
 * The hub's composition root wires the release service: noise from node:crypto, node-cron jobs
 * from the config, and releases that reach the collector over signed HTTPS.
 */

const ROOT = new URL('../../', import.meta.url);

describe('privacy release wiring in the hub', () => {
  it('draws release noise from CryptoRandomSource in production wiring', () => {
    const files = writeHubFiles();
    const hub = createHub({ config: files.config, resolvePath: (p) => join(files.dir, p) });
    try {
      expect(hub.privacy.randomKind).toBe('crypto');
    } finally {
      hub.db.close();
      rmSync(files.dir, { recursive: true, force: true });
    }
    // `hushpoint hub` (hub/main.ts) builds the hub with a CryptoRandomSource, and the audit tool samples with one.
    expect(readFileSync(new URL('hub/main.ts', ROOT), 'utf8')).toMatch(/random:\s*new CryptoRandomSource\(\)/);
    expect(readFileSync(new URL('cli/commands/audit.ts', ROOT), 'utf8')).toMatch(/new CryptoRandomSource\(\)/);
  });

  it('schedules a valid cron expression: the release job daily at 01:20 in the store time zone', () => {
    const files = writeHubFiles({ privacy: { timeZone: 'Europe/Berlin' }, upstream: { cron: '*/2 * * * *' } });
    const hub = createHub({ config: files.config, resolvePath: (p) => join(files.dir, p) });
    try {
      const schedules = hub.privacy.schedules();
      expect(schedules.map((s) => [s.name, s.expression, s.timezone])).toEqual([
        ['privacy-releases', '20 1 * * *', 'Europe/Berlin'],
      ]);
      for (const s of schedules) {
        expect(validate(s.expression)).toBe(true);
        const task = createTask(s.expression, () => undefined, { timezone: s.timezone, noOverlap: true });
        const next = task.getNextRuns(3);
        const local = next.map((d) =>
          new Intl.DateTimeFormat('en-GB', {
            timeZone: 'Europe/Berlin',
            hour: '2-digit',
            minute: '2-digit',
            hourCycle: 'h23',
          }).format(d),
        );
        expect(local).toEqual(['01:20', '01:20', '01:20']);
        void task.destroy();
      }
    } finally {
      hub.db.close();
      rmSync(files.dir, { recursive: true, force: true });
    }
  });

  it('computes releases in a running hub and delivers them to the collector byte for byte', async () => {
    const T0 = Date.parse('2026-11-28T00:00:00Z');
    const clock = new FakeClock(T0 + 60_000);
    const collector = await startCollector({ clock });
    const t = await startTestHub({
      clock,
      config: {
        privacy: { zones: ['bakery', 'dairy'], timeZone: 'UTC' },
        upstream: {
          enabled: true,
          transport: 'https',
          url: collector.url,
          caFile: 'ca.pem',
          signingKeyFile: collector.keyFile,
        },
      },
    });
    try {
      const [a, b] = addShoppers(t.hub.db, 2) as [number, number];
      addPresence(t.hub.db, a, 'bakery', T0 / 1000 + 36_000, 3);
      addPresence(t.hub.db, b, 'dairy', T0 / 1000 + 40_000, 3);
      clock.set(T0 + 86_400_000 + 2 * 3_600_000);
      const report = await t.hub.privacy.runDue(clock.now());
      expect(report.computed).toEqual(['footfall:2026-11-28', 'visits:2026-11-28']);
      const sync = await t.hub.privacy.syncUpstream(clock.now());
      expect(sync).toMatchObject({ sent: 2, failed: 0, rejected: 0 });
      for (const id of report.computed) {
        expect(
          (await collector.collector.store.getRelease('store-1', id))?.body.equals(
            t.hub.privacy.releases.get(id)?.body as Buffer,
          ),
        ).toBe(true);
      }
      expect(t.hub.privacy.status(clock.now())).toMatchObject({
        upstream: { enabled: true, transport: 'https', pending: 0, sent: 2 },
        period: '2026-Q4',
      });
    } finally {
      await t.stop();
      await collector.stop();
    }
  });
});
