import type { Database } from 'better-sqlite3';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { CommandReply } from '../../shared/protocol/messages.ts';
import { scheduleJob, type ScheduledJob } from '../../shared/scheduling/cron-scheduler.ts';
import { getGateway } from '../broker/mod.ts';
import type { ShopperDirectory } from '../shoppers/mod.ts';
import type { Counters } from '../storage/mod.ts';
import type { HubConfig } from '../config.schema.ts';
import type { HubEvents } from '../events.ts';
import { createIngest, type Ingest } from './ingest.ts';
import { createPresenceService, type PresenceService } from './presence-service.ts';
import { runRetention } from './retention.ts';

/**
 * Presence (docs/architecture.md#durability, docs/hub.md): the durable ingest of gateway messages, the presence model
 * that turns committed sightings into zones, visits and dwell (announcing zone entries and visit
 * ends on the hub's events), and the retention job for raw data.
 */
export interface Presence {
  readonly ingest: Ingest;
  readonly service: PresenceService;
  /** Finalises windows now (every received one with `all`) once the ingest queue is committed. */
  finalize(options?: { all?: boolean }): Promise<number>;
  /** Runs the retention job now; rows deleted per table. */
  runRetention(): Record<string, number>;
  start(): void;
  stop(): Promise<void>;
}

export interface PresenceFeatureDeps {
  db: Database;
  config: Readonly<Pick<HubConfig, 'presence' | 'retention'>>;
  directory: ShopperDirectory;
  counters: Counters;
  events: HubEvents;
  clock: Clock;
  logger: Logger;
  /** A gateway's command reply was committed. */
  onReply(reply: CommandReply): void;
}

export function createPresence(deps: PresenceFeatureDeps): Presence {
  const { db, config, directory, counters, events, clock, logger } = deps;
  const zones = new Map<string, string>();
  const zoneOf = (gateway: string): string | undefined => {
    let zone = zones.get(gateway);
    if (zone === undefined) {
      zone = getGateway(db, gateway)?.zone;
      if (zone !== undefined) zones.set(gateway, zone);
    }
    return zone;
  };

  const service = createPresenceService({
    db,
    counters,
    clock,
    logger: logger.child({ component: 'presence' }),
    params: config.presence,
    shopperIdOf: (pk) => directory.info(pk)?.id,
    onZoneEnter: (event) => events.emit('zoneEnter', event),
    onVisitEnd: (event) => events.emit('visitEnd', event),
  });
  events.on('shopperErased', (event) => service.forget(event.shopperPk));

  const ingest = createIngest({
    db,
    directory,
    counters,
    clock,
    logger: logger.child({ component: 'ingest' }),
    zoneOf,
    presenceCursor: () => service.cursor(),
    hooks: {
      batchCommitted: (gateway, batch, nowMs) =>
        service.noteBatch(gateway, batch.windowStart + batch.windowSeconds, nowMs),
      replyCommitted: (_gateway, _command, reply) => deps.onReply(reply),
    },
  });

  let timer: NodeJS.Timeout | null = null;
  let retentionJob: ScheduledJob | null = null;

  const presence: Presence = {
    ingest,
    service,
    async finalize(options = {}) {
      await ingest.drain();
      return service.finalize(options);
    },
    runRetention() {
      const deleted = runRetention(db, config.retention, clock.now());
      const total = Object.values(deleted).reduce((a, b) => a + b, 0);
      counters.add('retentionRuns');
      counters.add('retentionDeletedRows', total);
      counters.flush();
      logger.info({ deleted }, 'retention ran');
      return deleted;
    },
    start() {
      timer = setInterval(() => {
        try {
          service.finalize();
          counters.flush();
        } catch (error) {
          logger.error({ err: error }, 'presence finalise failed');
        }
      }, config.presence.finalizeIntervalMs);
      timer.unref();
      retentionJob = scheduleJob(
        'retention',
        config.retention.cron,
        () => {
          presence.runRetention();
        },
        config.retention.timezone !== undefined ? { timezone: config.retention.timezone } : {},
      );
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await retentionJob?.stop();
      retentionJob = null;
      await ingest.drain();
    },
  };
  return presence;
}
