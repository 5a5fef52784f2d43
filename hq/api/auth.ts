import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../../shared/http/mod.ts';

/**
 * The analysts' bearer token (api.tokenFile): when configured, every read endpoint asks for
 * `Authorization: Bearer <token>`, compared in constant time (over SHA-256 digests, so lengths
 * do not leak). Without a token file the read API is open — on loopback, or behind TLS on a
 * network the operator chose (docs/hq.md).
 */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function bearerAuth(token: string | null): AuthHook {
  const expected = token === null ? null : createHash('sha256').update(token).digest();
  return async (request, reply) => {
    if (expected === null) return;
    const header = request.headers.authorization;
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const digest = createHash('sha256').update(presented).digest();
    if (presented === '' || !timingSafeEqual(digest, expected)) {
      await reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="hushpoint-hq"')
        .send(
          errorBody(
            'AUTH_BAD_CREDENTIAL',
            presented === ''
              ? 'Authorization: Bearer <token> is required'
              : "The bearer token is not the analysts' token",
          ),
        );
    }
  };
}
