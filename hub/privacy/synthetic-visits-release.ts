import type { Database } from 'better-sqlite3';
import { rationalFromDecimal } from '../../shared/privacy/rational.ts';
import { SYNTHETIC_VISITS_KIND, synthesizeVisits, type ShopperVisit } from '../../shared/synth/visits/mod.ts';
import { makeLocalClock, weekday } from '../../shared/time/local-calendar.ts';
import type { PrivacyConfig } from './config.schema.ts';
import type { CustomReleaseDefinition, ReleaseContext } from './release-definition.ts';

/**
 * The weekly synthetic-visits release (docs/synthetic-data.md §8, docs/privacy.md §4): one record
 * per visit that started in the week — zones visited, dwell per zone in buckets, start hour,
 * weekday, and whether the shopper had already come on an earlier day of the week — synthesized
 * by the DP synthesizer with the week's ρ, at most `maxVisitsPerWeek` visits per shopper.
 */

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export function readWeekVisits(db: Database, context: ReleaseContext, included: ReadonlySet<number>): ShopperVisit[] {
  const clock = makeLocalClock(context.timeZone);
  const visits = db
    .prepare(
      'SELECT pk, shopper_pk AS shopper, started_at AS start FROM visits WHERE started_at >= ? AND started_at < ? ORDER BY started_at',
    )
    .all(seconds(context.window.startMs), seconds(context.window.endMs)) as Array<{
    pk: number;
    shopper: number;
    start: number;
  }>;
  const zonesOf = db.prepare('SELECT zone, dwell_seconds AS dwell FROM visit_zones WHERE visit_pk = ?');
  const firstDay = new Map<number, number>();
  const out: ShopperVisit[] = [];
  for (const v of visits) {
    if (!included.has(v.shopper)) continue;
    const local = clock(v.start * 1000);
    const first = firstDay.get(v.shopper);
    if (first === undefined) firstDay.set(v.shopper, local.day);
    const dwellSeconds: Record<string, number> = {};
    for (const z of zonesOf.all(v.pk) as Array<{ zone: string; dwell: number }>) {
      if (context.zones.includes(z.zone)) dwellSeconds[z.zone] = z.dwell;
    }
    out.push({
      shopper: String(v.shopper),
      visit: String(v.pk),
      dwellSeconds,
      startHour: Math.floor(local.minuteOfDay / 60),
      weekday: weekday(local.day),
      repeat: first !== undefined && first < local.day,
    });
  }
  return out;
}

export function syntheticVisitsRelease(
  config: PrivacyConfig['releases']['syntheticVisits'],
  delta: number,
): CustomReleaseDefinition {
  const rho = rationalFromDecimal(config.rho, 'privacy.releases.syntheticVisits.rho');
  return {
    custom: true,
    kind: SYNTHETIC_VISITS_KIND,
    window: 'week',
    rho,
    units: (db, context) =>
      db
        .prepare('SELECT DISTINCT shopper_pk FROM visits WHERE started_at >= ? AND started_at < ?')
        .pluck()
        .all(seconds(context.window.startMs), seconds(context.window.endMs)) as number[],
    compute(db, context, included) {
      const released = synthesizeVisits(
        readWeekVisits(db, context, included),
        { zones: context.zones, rho, delta, maxVisitsPerShopper: config.maxVisitsPerWeek },
        context.rng,
      );
      return { cells: released.cells, bounds: released.bounds, measures: released.measures, rho: released.rho };
    },
  };
}
