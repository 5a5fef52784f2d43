import { performance } from 'node:perf_hooks';
import { Type } from '@sinclair/typebox';
import { isAppError } from '../../shared/errors.ts';
import { systemClock, type Clock } from '../../shared/ports/clock.ts';
import { silentLogger, type Logger } from '../../shared/ports/logger.ts';
import { CryptoRandomSource, type RandomSource } from '../../shared/ports/random.ts';
import { packageVersion } from '../../shared/version.ts';
import type { Database } from 'better-sqlite3';
import type { Registry } from 'prom-client';
import { registerHubMetrics } from './metrics.ts';
import { errors } from '../../shared/http/mod.ts';
import { respond, tokenMatches, type ApiResponse, type ApiServer, type FastifyRequest } from '../http/mod.ts';
import type { GatewayAdmin, GatewayCommands } from '../broker/mod.ts';
import { createBucket, tryTake, type TokenBucket } from '../../shared/rate-limit/token-bucket.ts';
import { createOnceFilter, type OnceFilter } from '../../shared/logging/once-filter.ts';
import {
  buildStatusView,
  type OffersPlanInput,
  type PrivacyInput,
  type StatusView,
  type StorageInput,
} from './core/status-view.ts';
import { SESSION_COOKIE, setCookieHeader } from './core/cookies.ts';
import { createQuarantineReader } from './adapters/quarantine-reader.ts';
import { loadStaticAssets } from './adapters/static-assets.ts';
import { createTechnicianSessions } from './technician-sessions.ts';
import { authorizeTechnician, refusal, sameOrigin, TOKEN_NOT_CONFIGURED } from './technician-auth.ts';

/**
 * The technician status page (docs/status-page.md), served by the hub's HTTPS API:
 *
 *   GET    /status                               the page (static HTML; data comes from the API)
 *   GET    /status/assets/:file                  status.css, status.js
 *   POST   /v1/technician/session                {token} → session cookie (sign in)
 *   DELETE /v1/technician/session                sign out
 *   GET    /v1/technician/status                 the status view (JSON)
 *   POST   /v1/technician/gateways/:id/identify  {seconds?} → the gateway's reply
 *
 * The API answers a bearer technician token or a session cookie (see technician-auth.ts).
 * Releases, upstream sync and budgets come from providers (the privacy and offers features);
 * a provider that is not wired shows as "not configured" on the page.
 */

export const STATUS_PAGE_PATH = '/status';
export const TECHNICIAN_API = '/v1/technician';

export interface StatusProviders {
  /** DP releases, upstream sync and the budget plan (hub/privacy ReleaseService.status). */
  privacy?: (nowMs: number) => PrivacyInput;
  /** The offers' budget plan (ε per period and per offer), or null when offers are off. */
  offersPlan?: () => OffersPlanInput | null;
  /** Whether the database accepts data (the ingest's storage health). */
  storage?: () => StorageInput;
}

export interface StatusPageOptions {
  /** How often the page refreshes itself (default 5 s). */
  refreshSeconds?: number;
  /** An online gateway silent for this long shows as "silent" (default 120 s: four 30 s heartbeats). */
  staleAfterSeconds?: number;
  /** Quarantined payloads listed (default 5). */
  quarantineRows?: number;
  /** How long Identify waits for the gateway's reply (default 5 s; a gateway answers in milliseconds). */
  identifyTimeoutMs?: number;
  /** Browser session lifetime (default 12 h). */
  sessionHours?: number;
}

/** What the page reads from the hub: the API it registers on, the registry, the counters, and Identify. */
export interface StatusSurface {
  api: ApiServer;
  /** Read for the quarantine list. */
  db: Database;
  store: string;
  technicianToken: () => string | null;
  gateways: Pick<GatewayAdmin, 'list' | 'get'>;
  /** System counters (exact: gateways, batches, refusals — never shopper figures). */
  counters: () => Readonly<Record<string, number>>;
  sendCommand: GatewayCommands['send'];
  /** The server's Prometheus registry: the hub's figures are added to it (metrics.ts). */
  metrics?: Registry;
}

export interface StatusPageDeps {
  /** The hub's clock (last-seen ages are measured on it). */
  clock?: Clock;
  /** Session lifetimes run on wall time even when the hub's clock is simulated. */
  sessionClock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  providers?: StatusProviders;
  options?: StatusPageOptions;
}

export interface StatusPage {
  readonly path: string;
  /** The status view now (what the JSON endpoint returns). */
  view(): StatusView;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
const PAGE_HEADERS: Record<string, string> = {
  ...SECURITY_HEADERS,
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const LoginBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
const IdentifyBody = Type.Object(
  { seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })) },
  { additionalProperties: false },
);
const Loose = Type.Object({}, { additionalProperties: true });
/** The status view (core/status-view.ts); each section is documented in docs/status-page.md. */
const StatusViewSchema = Type.Object(
  {
    store: Type.String(),
    hub: Type.Object({ version: Type.String(), timeMs: Type.Number() }),
    refreshSeconds: Type.Number(),
    gateways: Type.Object({ total: Type.Integer(), online: Type.Integer(), items: Type.Array(Loose) }),
    releases: Loose,
    plan: Loose,
    quarantine: Loose,
    storage: Type.Union([Loose, Type.Null()]),
    counters: Type.Array(Loose),
  },
  { additionalProperties: false, description: 'System figures only: no shopper counts (docs/status-page.md)' },
);
const IdentifyReply = Type.Object(
  {
    gateway: Type.String(),
    transaction: Type.String(),
    ok: Type.Boolean(),
    data: Type.Optional(Loose),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    roundTripMs: Type.Number(),
  },
  { additionalProperties: false },
);
const Technician: { security: Array<Record<string, string[]>> } = { security: [{ bearer: [] }, { cookie: [] }] };

/** Failed sign-ins per client address: a burst of 10, then one every 6 s. */
const SIGN_IN_LIMITS = { ratePerSecond: 1 / 6, burst: 10 };
const IDENTIFY_SECONDS = 10;

function hasBody(req: Pick<FastifyRequest, 'headers'>): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Runs a provider; a failure becomes its section's error (logged once per provider and message, not per refresh). */
function settle<T>(
  provider: ((nowMs: number) => T) | undefined,
  nowMs: number,
  log: { logger: Logger; once: OnceFilter },
  what: string,
): T | Error | null {
  if (provider === undefined) return null;
  try {
    return provider(nowMs);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (log.once.first(`${what}\u0000${failure.message}`))
      log.logger.warn({ err: failure, provider: what }, 'status provider failed');
    return failure;
  }
}

// Longer than a screen: one route after another, each with its schema; the logic is in the helpers above and in core/.
export function registerStatusPage(hub: StatusSurface, deps: StatusPageDeps = {}): StatusPage {
  const { api } = hub;
  const clock = deps.clock ?? systemClock;
  const sessionClock = deps.sessionClock ?? systemClock;
  const logger = deps.logger ?? silentLogger();
  const providers = deps.providers ?? {};
  const options = deps.options ?? {};
  const refreshSeconds = options.refreshSeconds ?? 5;
  const staleAfterMs = (options.staleAfterSeconds ?? 120) * 1000;
  const quarantineRows = options.quarantineRows ?? 5;
  const identifyTimeoutMs = options.identifyTimeoutMs ?? 5000;
  const sessionMs = (options.sessionHours ?? 12) * 3_600_000;
  const assets = loadStaticAssets();
  const sessions = createTechnicianSessions({ random: deps.random ?? new CryptoRandomSource(), lifetimeMs: sessionMs });
  const failedSignIns = new Map<string, TokenBucket>();
  const hubVersion = packageVersion();
  const providerLog = { logger, once: createOnceFilter(100) };
  let quarantine: ReturnType<typeof createQuarantineReader> | null = null;

  const auth = (req: Pick<FastifyRequest, 'headers' | 'method'>) =>
    authorizeTechnician(req, { token: hub.technicianToken(), sessions, secure: api.secure, nowMs: sessionClock.now() });
  const cookie = (value: string, maxAgeSeconds: number): string =>
    setCookieHeader(SESSION_COOKIE, value, { path: TECHNICIAN_API, secure: api.secure, maxAgeSeconds });

  function view(): StatusView {
    quarantine ??= createQuarantineReader(hub.db);
    const nowMs = clock.now();
    return buildStatusView(
      {
        store: hub.store,
        hubVersion,
        refreshSeconds,
        staleAfterMs,
        gateways: hub.gateways.list(),
        quarantineTotal: quarantine.total(),
        quarantine: quarantine.latest(quarantineRows),
        counters: hub.counters(),
        privacy: settle(providers.privacy, nowMs, providerLog, 'privacy'),
        offersPlan: settle(providers.offersPlan, nowMs, providerLog, 'offers'),
        storage: providers.storage?.() ?? null,
      },
      nowMs,
    );
  }

  function asset(name: string): ApiResponse {
    const file = assets.get(name);
    if (file === undefined)
      return {
        status: 404,
        headers: SECURITY_HEADERS,
        body: {
          error: { code: 'API_NOT_FOUND', message: `No such file: ${name}, expected one of: status.css, status.js` },
        },
      };
    return {
      status: 200,
      text: file.body,
      contentType: file.contentType,
      headers: name === 'index.html' ? PAGE_HEADERS : SECURITY_HEADERS,
    };
  }

  api.routes((app) => {
    app.get(
      STATUS_PAGE_PATH,
      {
        schema: {
          summary: 'The technician status page (HTML)',
          tags: ['technician'],
          produces: ['text/html'],
          response: { 200: Type.String({ description: 'the page' }) },
        },
      },
      async (_request, reply) => respond(reply, asset('index.html')),
    );
    app.get(
      `${STATUS_PAGE_PATH}/assets/:file`,
      {
        schema: {
          summary: "The status page's stylesheet and script",
          tags: ['technician'],
          params: Type.Object({ file: Type.String({ maxLength: 64 }) }),
          produces: ['text/css', 'text/javascript'],
          response: { 200: Type.String({ description: 'status.css or status.js' }), ...errors(404) },
        },
      },
      async (request, reply) => respond(reply, asset(request.params.file === 'index.html' ? '' : request.params.file)),
    );

    app.post(
      `${TECHNICIAN_API}/session`,
      {
        schema: {
          summary: 'Sign in with the technician token: a session cookie (rate-limited per address)',
          tags: ['technician'],
          body: LoginBody,
          response: { 204: Type.Null(), ...errors(400, 403, 429) },
        },
      },
      async (request, reply) => respond(reply, signIn(request)),
    );

    app.delete(
      `${TECHNICIAN_API}/session`,
      { schema: { summary: 'Sign out (clears the cookie)', tags: ['technician'], response: { 204: Type.Null() } } },
      async (request, reply) => {
        const outcome = auth(request);
        if (outcome.ok && outcome.sessionId !== null) sessions.revoke(outcome.sessionId);
        // Signing out always clears the cookie, even when the session had already expired.
        return respond(reply, { status: 204, headers: { ...SECURITY_HEADERS, 'set-cookie': cookie('', 0) } });
      },
    );

    app.get(
      `${TECHNICIAN_API}/status`,
      {
        schema: {
          summary: 'The status view: gateways, releases and sync, the budget plan, quarantine, storage, counters',
          tags: ['technician'],
          response: { 200: StatusViewSchema, ...errors(401, 403) },
          ...Technician,
        },
      },
      async (request, reply) => {
        const outcome = auth(request);
        if (!outcome.ok) return respond(reply, outcome.response);
        return respond(reply, { status: 200, headers: SECURITY_HEADERS, body: view() });
      },
    );

    app.post(
      `${TECHNICIAN_API}/gateways/:id/identify`,
      {
        schema: {
          summary: "Blink a gateway's LEDs (the command and its reply over MQTT)",
          tags: ['technician'],
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          body: IdentifyBody,
          response: { 200: IdentifyReply, ...errors(400, 401, 403, 404, 409, 504) },
          ...Technician,
        },
        // The body is optional: no body means the default duration.
        preValidation: async (request) => {
          if (!hasBody(request)) request.body = {};
        },
      },
      async (request, reply) => respond(reply, await identify(request, request.params.id, request.body.seconds)),
    );
  });

  function signIn(request: Pick<FastifyRequest, 'headers' | 'socket'> & { body: { token: string } }): ApiResponse {
    if (request.headers.origin !== undefined && !sameOrigin(request, api.secure))
      return refusal(403, 'AUTH_FORBIDDEN', "Sign in from the hub's own page (the Origin header is another site)")
        .response;
    if (hub.technicianToken() === null) return refusal(403, 'AUTH_FORBIDDEN', TOKEN_NOT_CONFIGURED).response;
    const client = request.socket.remoteAddress ?? 'unknown';
    const now = sessionClock.now();
    if (!tokenMatches(request.body.token, hub.technicianToken())) {
      if (failedSignIns.size > 1000) failedSignIns.clear();
      let bucket = failedSignIns.get(client);
      if (bucket === undefined) failedSignIns.set(client, (bucket = createBucket(SIGN_IN_LIMITS, now)));
      if (!tryTake(bucket, SIGN_IN_LIMITS, now)) {
        return refusal(429, 'AUTH_FORBIDDEN', 'Too many wrong tokens from this address; wait a minute and try again', {
          'retry-after': '60',
        }).response;
      }
      logger.warn({ client }, 'technician sign-in refused');
      return refusal(403, 'AUTH_FORBIDDEN', 'That is not the technician token').response;
    }
    const id = sessions.create(now);
    logger.info({ client, sessions: sessions.size }, 'technician signed in');
    return { status: 204, headers: { ...SECURITY_HEADERS, 'set-cookie': cookie(id, sessionMs / 1000) } };
  }

  async function identify(
    request: Pick<FastifyRequest, 'headers' | 'method'>,
    id: string,
    requested: number | undefined,
  ): Promise<ApiResponse> {
    const outcome = auth(request);
    if (!outcome.ok) return outcome.response;
    const gateway = hub.gateways.get(id);
    if (gateway === null) return refusal(404, 'API_NOT_FOUND', `No gateway "${id}" is registered`).response;
    if (gateway.revokedMs !== null)
      return refusal(409, 'API_CONFLICT', `Gateway "${id}" is revoked; rotate its credential to bring it back`)
        .response;
    const seconds = requested ?? IDENTIFY_SECONDS;
    const started = performance.now();
    try {
      const reply = await hub.sendCommand(id, 'identify', { seconds }, { timeoutMs: identifyTimeoutMs });
      const roundTripMs = Math.round(performance.now() - started);
      logger.info({ gateway: id, ok: reply.ok, ms: roundTripMs }, 'identify answered');
      return {
        status: 200,
        headers: SECURITY_HEADERS,
        body: {
          gateway: id,
          transaction: reply.transaction,
          ok: reply.ok,
          ...(reply.data !== undefined ? { data: reply.data } : {}),
          ...(reply.error !== undefined ? { error: reply.error } : {}),
          roundTripMs,
        },
      };
    } catch (error) {
      if (isAppError(error) && error.code === 'MQTT_UNREACHABLE') {
        logger.warn({ gateway: id, timeoutMs: identifyTimeoutMs }, 'identify unanswered');
        return refusal(504, error.code, error.message).response;
      }
      throw error;
    }
  }

  if (hub.metrics !== undefined) {
    registerHubMetrics(hub.metrics, {
      gateways: () => hub.gateways.list(),
      counters: () => hub.counters(),
      quarantineTotal: () => (quarantine ??= createQuarantineReader(hub.db)).total(),
      ...(providers.storage !== undefined ? { storage: providers.storage } : {}),
      ...(providers.privacy !== undefined ? { privacy: providers.privacy } : {}),
      now: () => clock.now(),
      staleAfterMs,
    });
  }

  return { path: STATUS_PAGE_PATH, view };
}
