import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { modelDocument, parseModelDocument, RELEASE_KINDS, type FitParameters } from '../../shared/recommend/mod.ts';
import { openSignedModel, parsePrivateKey, signModelBody } from '../../shared/recommend/adapters/model-signing.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import type { HqStore } from '../storage/hq-store.ts';
import { createModelDirectory, type ModelDirectory } from './adapters/model-directory.ts';
import { poolItemModel, type ReceivedItemRelease } from './core/item-model.ts';

/**
 * The pooling job of the recommender (docs/hq.md): for a budget period (by default the newest one
 * with item-supports releases), read every store's item-supports and item-covariance releases from
 * HQ's store, pool and clean them (core/item-model.ts), sign the model with HQ's model key and
 * write it as the next version. A period whose newest model already pooled exactly these releases
 * publishes nothing, so the job can run on a schedule; a late store's release makes a new version.
 */

export type PublishOutcome =
  | {
      readonly status: 'published';
      readonly version: number;
      readonly period: string;
      readonly stores: number;
      readonly rank: number;
      readonly blend: number;
    }
  | { readonly status: 'unchanged'; readonly version: number; readonly period: string }
  | { readonly status: 'no-releases' };

export interface ModelPublisherDeps {
  readonly store: () => HqStore;
  readonly directory: ModelDirectory;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly tool: string;
  readonly parameters?: FitParameters;
}

export interface ModelPublisher {
  publish(options?: { budgetPeriod?: string }): Promise<PublishOutcome>;
}

export function createModelPublisher(deps: ModelPublisherDeps): ModelPublisher {
  async function received(budgetPeriod: string): Promise<ReceivedItemRelease[]> {
    const out: ReceivedItemRelease[] = [];
    for (const kind of [RELEASE_KINDS.itemSupport, RELEASE_KINDS.itemCovariance]) {
      for (const stored of await deps.store().listReleases({ kind, budgetPeriod })) {
        const decoded = decodeAnyReleasePayload(stored.body);
        // Ingest validated these bytes; anything else is a broken store, skipped and logged.
        if (!decoded.ok || decoded.value.v !== 2) {
          deps.logger.warn({ store: stored.store, release: stored.releaseId }, 'stored release not decodable');
          continue;
        }
        out.push({ store: stored.store, releaseId: stored.releaseId, payload: decoded.value });
      }
    }
    return out;
  }

  async function newestPeriod(): Promise<string | null> {
    const labels = (await deps.store().listReleases({ kind: RELEASE_KINDS.itemSupport })).map((r) => r.budgetPeriod);
    return labels.length === 0 ? null : (labels.sort().at(-1) as string);
  }

  function previousOf(period: string): { version: number; releaseIds: string } | null {
    for (const version of deps.directory.versions().reverse()) {
      const text = deps.directory.read(version) as string;
      const { document } = parseModelDocument(openSignedModel(text, deps.publicKey, `model ${version}`));
      if (document.period.label === period)
        return { version, releaseIds: [...document.provenance.releaseIds].sort().join('\n') };
    }
    return null;
  }

  return {
    async publish(options = {}) {
      const period = options.budgetPeriod ?? (await newestPeriod());
      if (period === null) return { status: 'no-releases' };
      const releases = await received(period);
      if (!releases.some((r) => r.payload.kind === RELEASE_KINDS.itemSupport)) return { status: 'no-releases' };
      const pooled = poolItemModel(releases, {
        tool: deps.tool,
        ...(deps.parameters !== undefined ? { parameters: deps.parameters } : {}),
      });
      const previous = previousOf(period);
      if (previous !== null && previous.releaseIds === [...pooled.metadata.provenance.releaseIds].sort().join('\n'))
        return { status: 'unchanged', version: previous.version, period };
      const version = (deps.directory.versions().at(-1) ?? 0) + 1;
      if (!Number.isSafeInteger(version)) throw new AppError('INTERNAL', 'model versions are exhausted');
      const document = modelDocument(pooled.model, {
        ...pooled.metadata,
        version,
        modelId: `chain-${period}-v${version}`,
        createdAt: new Date(deps.clock.now()).toISOString(),
      });
      deps.directory.write(version, signModelBody(JSON.stringify(document), deps.privateKey));
      deps.logger.info(
        {
          version,
          period,
          stores: pooled.metadata.provenance.stores,
          rank: pooled.model.rank,
          blend: pooled.model.blend,
        },
        'model published',
      );
      return {
        status: 'published',
        version,
        period,
        stores: pooled.metadata.provenance.stores,
        rank: pooled.model.rank,
        blend: pooled.model.blend,
      };
    },
  };
}

/** The publisher of hq.yaml's `models` section (null without one): its key read and checked now. */
export function modelPublisherFromConfig(
  config: { readonly models?: { readonly dir: string; readonly signingKeyFile: string } | undefined },
  deps: Omit<ModelPublisherDeps, 'directory' | 'privateKey' | 'publicKey'> & { resolvePath: (p: string) => string },
): { publisher: ModelPublisher; directory: ModelDirectory } | null {
  if (config.models === undefined) return null;
  const file = deps.resolvePath(config.models.signingKeyFile);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `The model signing key file "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const privateKey = parsePrivateKey(pem, file);
  const directory = createModelDirectory(deps.resolvePath(config.models.dir));
  const { resolvePath: _unused, ...rest } = deps;
  void _unused;
  return {
    directory,
    publisher: createModelPublisher({ ...rest, directory, privateKey, publicKey: createPublicKey(privateKey) }),
  };
}
