import { performance } from 'node:perf_hooks';
import { Type } from '@sinclair/typebox';
import { isAppError } from '../../shared/errors.ts';
import { systemClock, type Clock } from '../../shared/ports/clock.ts';
import { silentLogger, type Logger } from '../../shared/ports/logger.ts';
import { CryptoRandomSource, type RandomSource } from '../../shared/ports/random.ts';
import { compileValidator } from '../../shared/validation.ts';
import { packageVersion } from '../../shared/version.ts';
import type { Database } from 'better-sqlite3';
import { badRequest, tokenMatches, type ApiRequest, type ApiResponse, type ApiServer } from '../http/mod.ts';
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
const validateLogin = compileValidator<{ token: string }>(LoginBody);
const IdentifyBody = Type.Object(
  { seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })) },
  { additionalProperties: false },
);
const validateIdentify = compileValidator<{ seconds?: number }>(IdentifyBody);

/** Failed sign-ins per client address: a burst of 10, then one every 6 s. */
const SIGN_IN_LIMITS = { ratePerSecond: 1 / 6, burst: 10 };
const IDENTIFY_SECONDS = 10;

function hasBody(req: ApiRequest): boolean {
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

  const auth = (req: ApiRequest) =>
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

  api.route('GET', STATUS_PAGE_PATH, () => asset('index.html'));
  api.route('GET', `${STATUS_PAGE_PATH}/assets/:file`, (req) =>
    asset(req.params.file === 'index.html' ? '' : (req.params.file as string)),
  );

  api.route('POST', `${TECHNICIAN_API}/session`, async (req) => {
    if (req.headers.origin !== undefined && !sameOrigin(req, api.secure))
      return refusal(403, 'AUTH_FORBIDDEN', "Sign in from the hub's own page (the Origin header is another site)")
        .response;
    if (hub.technicianToken() === null) return refusal(403, 'AUTH_FORBIDDEN', TOKEN_NOT_CONFIGURED).response;
    const checked = validateLogin(await req.json());
    if (!checked.ok) throw badRequest(checked.problems, 'Sign-in body');
    const client = req.raw.socket.remoteAddress ?? 'unknown';
    const now = sessionClock.now();
    if (!tokenMatches(checked.value.token, hub.technicianToken())) {
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
  });

  api.route('DELETE', `${TECHNICIAN_API}/session`, (req) => {
    const outcome = auth(req);
    if (outcome.ok && outcome.sessionId !== null) sessions.revoke(outcome.sessionId);
    // Signing out always clears the cookie, even when the session had already expired.
    return { status: 204, headers: { ...SECURITY_HEADERS, 'set-cookie': cookie('', 0) } };
  });

  api.route('GET', `${TECHNICIAN_API}/status`, (req) => {
    const outcome = auth(req);
    if (!outcome.ok) return outcome.response;
    return { status: 200, headers: SECURITY_HEADERS, body: view() };
  });

  api.route('POST', `${TECHNICIAN_API}/gateways/:id/identify`, async (req) => {
    const outcome = auth(req);
    if (!outcome.ok) return outcome.response;
    const id = req.params.id as string;
    const gateway = hub.gateways.get(id);
    if (gateway === null) return refusal(404, 'API_NOT_FOUND', `No gateway "${id}" is registered`).response;
    if (gateway.revokedMs !== null)
      return refusal(409, 'API_CONFLICT', `Gateway "${id}" is revoked; rotate its credential to bring it back`)
        .response;
    let seconds = IDENTIFY_SECONDS;
    if (hasBody(req)) {
      const checked = validateIdentify(await req.json());
      if (!checked.ok) throw badRequest(checked.problems, 'Identify body');
      seconds = checked.value.seconds ?? IDENTIFY_SECONDS;
    }
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
  });

  return { path: STATUS_PAGE_PATH, view };
}
