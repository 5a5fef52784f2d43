import { bearerOf, tokenMatches, type ApiResponse, type FastifyRequest } from '../http/mod.ts';

type Request = Pick<FastifyRequest, 'headers' | 'method'>;
import { cookieValue, SESSION_COOKIE } from './core/cookies.ts';
import type { TechnicianSessions } from './technician-sessions.ts';

/**
 * Who may use the technician API: a request with `Authorization: Bearer <technician token>`
 * (scripts, curl), or a browser with a session cookie from signing in on the page.
 *
 *   no credential, or an unknown/expired session → 401 (with WWW-Authenticate)
 *   a wrong bearer token                         → 403
 *   no technician token configured               → 403 naming the setting
 *
 * A cookie-authenticated request that changes something (POST, DELETE) must also come from
 * the hub's own origin (`Origin` equals the request's scheme and Host): together with
 * SameSite=Strict this keeps other sites from using a signed-in browser.
 */

export type AuthOutcome =
  { ok: true; via: 'bearer' | 'session'; sessionId: string | null } | { ok: false; response: ApiResponse };

export interface AuthContext {
  token: string | null;
  sessions: TechnicianSessions;
  secure: boolean;
  nowMs: number;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="hushpoint technician"' };

export function refusal(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): { ok: false; response: ApiResponse } {
  return { ok: false, response: { status, headers, body: { error: { code, message } } } };
}

export const TOKEN_NOT_CONFIGURED = 'The technician page is disabled: hub.yaml names no api.technicianTokenFile';

/** True when the request's Origin (if the browser sent one) is the hub itself. */
export function sameOrigin(req: Pick<FastifyRequest, 'headers'>, secure: boolean): boolean {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (origin === undefined) return false;
  return typeof host === 'string' && origin === `${secure ? 'https' : 'http'}://${host}`;
}

export function authorizeTechnician(req: Request, ctx: AuthContext): AuthOutcome {
  if (ctx.token === null) return refusal(403, 'AUTH_FORBIDDEN', TOKEN_NOT_CONFIGURED);
  if (req.headers.authorization !== undefined) {
    const bearer = bearerOf(req.headers);
    if (bearer === null)
      return refusal(
        401,
        'AUTH_BAD_CREDENTIAL',
        'The Authorization header must be "Bearer <technician token>"',
        CHALLENGE,
      );
    if (!tokenMatches(bearer, ctx.token))
      return refusal(403, 'AUTH_FORBIDDEN', 'The bearer token is not the technician token');
    return { ok: true, via: 'bearer', sessionId: null };
  }
  const session = cookieValue(typeof req.headers.cookie === 'string' ? req.headers.cookie : undefined, SESSION_COOKIE);
  if (session === null)
    return refusal(
      401,
      'AUTH_BAD_CREDENTIAL',
      'Sign in with the technician token, or send "Authorization: Bearer <technician token>"',
      CHALLENGE,
    );
  if (!ctx.sessions.valid(session, ctx.nowMs))
    return refusal(
      401,
      'AUTH_BAD_CREDENTIAL',
      'The session has expired or was ended; sign in again with the technician token',
      CHALLENGE,
    );
  if (req.method !== 'GET' && !sameOrigin(req, ctx.secure)) {
    return refusal(
      403,
      'AUTH_FORBIDDEN',
      "A signed-in browser may change things only from the hub's own page (the Origin header must be this hub)",
    );
  }
  return { ok: true, via: 'session', sessionId: session };
}
