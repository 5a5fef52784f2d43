import { readFileSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { parsePublicKey } from '../../shared/recommend/adapters/model-signing.ts';
import { ModelStore, type InstalledModel } from '../../shared/recommend/adapters/model-store.ts';
import { scheduleJob, type ScheduledJob } from '../../shared/scheduling/cron-scheduler.ts';
import { parseSigningKey } from '../../shared/upstream/signing.ts';
import { createHttpsModelFetcher, type ModelFetcher } from './adapters/https-model-fetcher.ts';
import { modelUrlOf, type RecommendConfig } from './config.schema.ts';

/**
 * The hub's copy of HQ's item model (docs/recommender.md#hub): a scheduled job fetches the newest
 * model over HTTPS with the store's credential, and shared/recommend's ModelStore installs it only
 * if it verifies with HQ's public key and its version is above the installed one. A refused model
 * (bad signature, another key, malformed, older) is logged with its code and changes nothing: the
 * hub keeps the last good model.
 */

export type FetchReport =
  | { readonly status: 'installed'; readonly version: number; readonly modelId: string }
  | { readonly status: 'unchanged' }
  | { readonly status: 'refused'; readonly code: string; readonly message: string }
  | { readonly status: 'failed'; readonly message: string }
  | { readonly status: 'disabled' };

export interface ModelService {
  /** The installed model, or null (none yet, or recommend disabled). */
  installed(): InstalledModel | null;
  /** The installed model's item list (round 2 of the item statistics), or null. */
  installedItems(): readonly string[] | null;
  fetchNow(): Promise<FetchReport>;
  start(): void;
  stop(): Promise<void>;
  schedules(): { name: string; expression: string; timezone: string }[];
}

export interface ModelServiceDeps {
  readonly config: RecommendConfig;
  readonly store: string;
  readonly upstream: { url?: string | undefined; caFile?: string | undefined; signingKeyFile?: string | undefined };
  readonly timeZone: string;
  readonly resolvePath: (path: string) => string;
  readonly clock: Clock;
  readonly logger: Logger;
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `The ${what} "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

const DISABLED: ModelService = {
  installed: () => null,
  installedItems: () => null,
  fetchNow: async () => ({ status: 'disabled' }),
  start: () => undefined,
  stop: async () => undefined,
  schedules: () => [],
};

export function createModelService(deps: ModelServiceDeps): ModelService {
  const { config, logger } = deps;
  if (!config.enabled) return DISABLED;
  if (config.hqPublicKeyFile === undefined || deps.upstream.signingKeyFile === undefined)
    throw new AppError('CFG_INVALID', 'recommend needs hqPublicKeyFile and upstream.signingKeyFile');
  const keyFile = deps.resolvePath(config.hqPublicKeyFile);
  const publicKey = parsePublicKey(readFile(keyFile, 'HQ public model key').toString('utf8'), keyFile);
  const models = new ModelStore(deps.resolvePath(config.modelDir), publicKey);
  const ca =
    deps.upstream.caFile === undefined
      ? undefined
      : readFile(deps.resolvePath(deps.upstream.caFile), 'upstream CA file');
  const url = modelUrlOf(config, deps.upstream.url);
  const fetcher: ModelFetcher = createHttpsModelFetcher({
    url,
    store: deps.store,
    key: parseSigningKey(
      readFile(deps.resolvePath(deps.upstream.signingKeyFile), 'upstream signing key file').toString('utf8'),
      deps.upstream.signingKeyFile,
    ),
    timeoutMs: config.fetch.timeoutSeconds * 1000,
    ...(ca !== undefined ? { ca } : {}),
  });
  let job: ScheduledJob | null = null;
  let inflight: Promise<unknown> = Promise.resolve();
  let broken = false;

  function installed(): InstalledModel | null {
    if (broken) return null;
    try {
      return models.current();
    } catch (error) {
      // An installed file that no longer verifies (e.g. HQ's key was rotated): used by nothing.
      broken = true;
      logger.error({ code: (error as AppError).code, err: error }, 'installed model does not verify; not used');
      return null;
    }
  }

  async function fetchNow(): Promise<FetchReport> {
    const current = installed();
    const after = current?.document.version ?? 0;
    const outcome = await fetcher.fetch(after, deps.clock.now());
    if (outcome.status === 'unchanged') return { status: 'unchanged' };
    if (outcome.status === 'failed') {
      logger.warn({ url, status: outcome.httpStatus, message: outcome.message }, 'model fetch failed');
      return { status: 'failed', message: outcome.message };
    }
    try {
      const model = models.install(outcome.text, `model from ${url}`);
      broken = false;
      logger.info(
        {
          version: model.document.version,
          modelId: model.document.modelId,
          rank: model.model.rank,
          blend: model.model.blend,
        },
        'model installed',
      );
      return { status: 'installed', version: model.document.version, modelId: model.document.modelId };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      logger.warn(
        { code: error.code, message: error.message, kept: current?.document.version ?? null },
        'model refused',
      );
      return { status: 'refused', code: error.code, message: error.message };
    }
  }

  return {
    installed,
    installedItems: () => installed()?.model.items ?? null,
    fetchNow,
    start() {
      if (job !== null) return;
      job = scheduleJob('model-fetch', config.fetch.cron, async () => void (await fetchNow()), {
        timezone: deps.timeZone,
      });
      // One fetch at start-up, in the background: a hub that was down catches up at once.
      inflight = fetchNow().catch((error: unknown) => logger.error({ err: error }, 'model fetch failed'));
    },
    async stop() {
      await job?.stop();
      job = null;
      await inflight;
    },
    schedules: () => [{ name: 'model-fetch', expression: config.fetch.cron, timezone: deps.timeZone }],
  };
}
