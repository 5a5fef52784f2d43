/**
 * What a `reload` command may change without a restart. Everything else (identity, hub link,
 * BLE source, window length, outbox file, LED pins) needs a restart, which the reply says.
 * Pure: compares two validated configs.
 */

/** JSON pointers of settings applied live, from the next window or heartbeat. */
export const LIVE_SETTINGS = [
  '/window/minHits',
  '/window/maxHits',
  '/window/nearDbm',
  '/window/midDbm',
  '/heartbeatSeconds',
  '/ble/watchdogSeconds',
  '/ble/resetAfterRestarts',
  '/outbox/maxAgeHours',
  '/outbox/maxBytes',
  '/outbox/maxInFlight',
  '/log/level',
] as const;

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      flatten(child, `${prefix}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    }
  } else {
    out.set(prefix, JSON.stringify(value));
  }
}

/** The JSON pointers whose values differ, sorted. */
export function changedSettings(before: unknown, after: unknown): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, '', a);
  flatten(after, '', b);
  const changed = new Set<string>();
  for (const [path, value] of a) if (b.get(path) !== value) changed.add(path);
  for (const path of b.keys()) if (!a.has(path)) changed.add(path);
  return [...changed].sort();
}

/** The calibration record is informational (the thresholds it moved are live settings): no restart. */
const INFORMATIONAL = (path: string): boolean => path === '/calibration' || path.startsWith('/calibration/');

export function splitReload(changed: readonly string[]): { live: string[]; restartRequired: string[] } {
  const live = changed.filter((path) => (LIVE_SETTINGS as readonly string[]).includes(path));
  const restartRequired = changed.filter(
    (path) => !(LIVE_SETTINGS as readonly string[]).includes(path) && !INFORMATIONAL(path),
  );
  return { live, restartRequired };
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A copy of `current` with the values at `paths` taken from `next`. */
export function applyLiveSettings<T>(current: T, next: T, paths: readonly string[]): T {
  const result = structuredClone(current) as Record<string, unknown>;
  for (const path of paths) {
    const keys = segments(path);
    let from: unknown = next;
    let to: Record<string, unknown> = result;
    keys.forEach((key, index) => {
      from = (from as Record<string, unknown> | undefined)?.[key];
      if (index < keys.length - 1) {
        to[key] ??= {};
        to = to[key] as Record<string, unknown>;
      }
    });
    to[keys.at(-1) as string] = structuredClone(from);
  }
  return result as T;
}
