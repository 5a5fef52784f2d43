import { Type, type Static } from '@sinclair/typebox';
import { validate as validateCron } from 'node-cron';
import type { Problem } from '../../shared/validation.ts';

/**
 * The `recommend` section of hub.yaml (docs/recommender.md#hub): where the hub keeps HQ's signed
 * item model, the public key it verifies models with, and the fetch job. The fetch uses the
 * upstream section's credential (the store key) and CA.
 */
const closed = { additionalProperties: false } as const;

export const RecommendSection = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** The model folder: current.model and previous.model (the last good model is kept). */
    modelDir: Type.String({ minLength: 1, default: 'models' }),
    /** HQ's Ed25519 public model key (PEM, from `hushpoint recommend keygen` at HQ). */
    hqPublicKeyFile: Type.Optional(Type.String({ minLength: 1 })),
    fetch: Type.Object(
      {
        /** HQ's model endpoint; by default GET /v1/models/latest at the origin of upstream.url. */
        url: Type.Optional(Type.String({ minLength: 8 })),
        /** node-cron expression, in privacy.timeZone. */
        cron: Type.String({ default: '41 * * * *' }),
        timeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 30 }),
      },
      { ...closed, default: {} },
    ),
    /**
     * Weight of the model's affinity in the offers ranking, times the model's reliability γ
     * (0 when the model is pure noise: the ranking is then exactly the one without a model).
     */
    offerWeight: Type.Number({ minimum: 0, maximum: 4, default: 2 }),
  },
  { ...closed, default: {} },
);

export type RecommendConfig = Static<typeof RecommendSection>;

export function recommendConfigProblems(config: {
  recommend: RecommendConfig;
  upstream: { enabled: boolean; url?: string | undefined; signingKeyFile?: string | undefined };
}): Problem[] {
  const problems: Problem[] = [];
  const r = config.recommend;
  if (!r.enabled) return problems;
  if (r.hqPublicKeyFile === undefined)
    problems.push({
      path: '/recommend/hqPublicKeyFile',
      message: "is required when recommend is enabled, expected HQ's public model key (PEM)",
    });
  if (!validateCron(r.fetch.cron))
    problems.push({
      path: '/recommend/fetch/cron',
      message: `is "${r.fetch.cron}", expected a cron expression such as "41 * * * *"`,
    });
  if (r.fetch.url === undefined && config.upstream.url === undefined)
    problems.push({
      path: '/recommend/fetch/url',
      message: "is required without upstream.url, expected HQ's https://…/v1/models/latest",
    });
  if (config.upstream.signingKeyFile === undefined)
    problems.push({
      path: '/upstream/signingKeyFile',
      message: 'is required when recommend is enabled: the model fetch is signed with the store key',
    });
  return problems;
}

/** The model endpoint: fetch.url, or /v1/models/latest at upstream.url's origin. */
export function modelUrlOf(config: RecommendConfig, upstreamUrl: string | undefined): string {
  if (config.fetch.url !== undefined) return config.fetch.url;
  return new URL('/v1/models/latest', upstreamUrl).toString();
}
