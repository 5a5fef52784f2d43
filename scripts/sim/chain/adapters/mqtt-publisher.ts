import mqtt from 'mqtt';
import type { SimulatedRelease } from '../chain.ts';

/**
 * The stores' side of the MQTT upstream, as a chain of hubs would send: one MQTT 5 client per
 * store (user = the store id, its own password, TLS with the broker's CA), QoS 1 on the store's
 * release topic (shared/protocol/topics.ts), the payload the exact release bytes. A release
 * counts as sent on PUBACK; until then it is retried (after a disconnect or a timeout) — so a
 * broker restart can make a store send a release twice, which HQ must count as a duplicate.
 * A PUBACK with a refusal reason (135 not authorised: the ACL) is final and reported.
 * Each store keeps at most `inFlight` releases unacknowledged, in order.
 */

export interface PublishOptions {
  readonly url: string;
  readonly ca?: Buffer | string;
  readonly passwordOf: (store: string) => string;
  readonly inFlight?: number;
  readonly timeoutMs?: number;
  /** Publish under another store's user (the ACL test). */
  readonly userOf?: (store: string) => string;
  readonly onSent?: (release: SimulatedRelease) => void;
}

export interface PublishReport {
  readonly sent: number;
  readonly retries: number;
  readonly refused: ReadonlyArray<{ readonly store: string; readonly releaseId: string; readonly reason: string }>;
  readonly seconds: number;
}

function reasonCodeOf(error: unknown): number | null {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : null;
}

async function publishStore(
  store: string,
  releases: readonly SimulatedRelease[],
  options: PublishOptions,
  report: { sent: number; retries: number; refused: Array<{ store: string; releaseId: string; reason: string }> },
): Promise<void> {
  const client = mqtt.connect(options.url, {
    clientId: `hushpoint-${store}-releases`,
    protocolVersion: 5,
    clean: true,
    username: options.userOf?.(store) ?? store,
    password: options.passwordOf(store),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    reconnectPeriod: 250,
    connectTimeout: 10_000,
    queueQoSZero: false,
  });
  client.on('error', () => undefined); // reconnects on its own; refusals surface per publish
  // One waiter per connection attempt, shared by the workers.
  let up: Promise<void> | null = null;
  const connected = (): Promise<void> => {
    if (client.connected) return Promise.resolve();
    up ??= new Promise<void>((resolve) =>
      client.once('connect', () => {
        up = null;
        resolve();
      }),
    );
    return up;
  };
  const timeoutMs = options.timeoutMs ?? 10_000;
  let next = 0;
  const sendOne = async (release: SimulatedRelease): Promise<void> => {
    for (;;) {
      await connected();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.publishAsync(release.topic, release.body, { qos: 1 }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no PUBACK within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        report.sent++;
        options.onSent?.(release);
        return;
      } catch (error) {
        const code = reasonCodeOf(error);
        if (code !== null && code >= 128) {
          report.refused.push({
            store,
            releaseId: release.releaseId,
            reason: `PUBACK reason ${code}: ${(error as Error).message}`,
          });
          return;
        }
        report.retries++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    }
  };
  const worker = async (): Promise<void> => {
    while (next < releases.length) await sendOne(releases[next++] as SimulatedRelease);
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.inFlight ?? 8) }, worker));
  } finally {
    await client.endAsync(false).catch(() => undefined);
  }
}

export async function publishReleases(
  releases: readonly SimulatedRelease[],
  options: PublishOptions,
): Promise<PublishReport> {
  const started = performance.now();
  const byStore = new Map<string, SimulatedRelease[]>();
  for (const r of releases) {
    const list = byStore.get(r.store);
    if (list === undefined) byStore.set(r.store, [r]);
    else list.push(r);
  }
  const report = { sent: 0, retries: 0, refused: [] as Array<{ store: string; releaseId: string; reason: string }> };
  await Promise.all([...byStore].map(([store, list]) => publishStore(store, list, options, report)));
  return { ...report, seconds: (performance.now() - started) / 1000 };
}
