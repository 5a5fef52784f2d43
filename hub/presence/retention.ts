import type { Database } from 'better-sqlite3';

/**
 * Retention (docs/privacy.md): raw presence lives hours, visits and zone windows days. Quarantined
 * payloads hold EIDs, so they go with the sightings; batch keys (for replay detection) and
 * command replies go with the visits. Returns the rows deleted per table.
 */
export interface RetentionPolicy {
  sightingsHours: number;
  visitsDays: number;
}

export function runRetention(db: Database, policy: RetentionPolicy, nowMs: number): Record<string, number> {
  const rawCutoffMs = nowMs - policy.sightingsHours * 3_600_000;
  const longCutoffMs = nowMs - policy.visitsDays * 86_400_000;
  const rawCutoffS = Math.floor(rawCutoffMs / 1000);
  const longCutoffS = Math.floor(longCutoffMs / 1000);
  return db.transaction(() => {
    const deleted: Record<string, number> = {};
    deleted.sightings = db.prepare('DELETE FROM sightings WHERE window_start < ?').run(rawCutoffS).changes;
    deleted.quarantine = db.prepare('DELETE FROM quarantine WHERE received_ms < ?').run(rawCutoffMs).changes;
    deleted.zone_windows = db.prepare('DELETE FROM zone_windows WHERE window_start < ?').run(longCutoffS).changes;
    deleted.visit_zones = db
      .prepare(
        'DELETE FROM visit_zones WHERE visit_pk IN (SELECT pk FROM visits WHERE ended_at IS NOT NULL AND ended_at < ?)',
      )
      .run(longCutoffS).changes;
    deleted.visits = db
      .prepare('DELETE FROM visits WHERE ended_at IS NOT NULL AND ended_at < ?')
      .run(longCutoffS).changes;
    deleted.batches = db.prepare('DELETE FROM batches WHERE received_ms < ?').run(longCutoffMs).changes;
    deleted.command_replies = db.prepare('DELETE FROM command_replies WHERE received_ms < ?').run(longCutoffMs).changes;
    return deleted;
  })();
}
