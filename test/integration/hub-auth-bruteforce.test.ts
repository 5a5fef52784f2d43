import { request } from 'node:https';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * An attacker guessing bearer tokens (docs/security.md, "Brute force"): from one address, every
 * refused token takes from that address's bucket; once it is empty every request from there —
 * with a wrong token, the right one or none — gets 429 with Retry-After, so a lucky guess is not
 * even recognised while locked; other addresses (the store's shoppers) are not affected; the
 * bucket refills with time. Real hub, real TLS, the attacker on 127.0.0.2.
 */

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { error?: { code: string; message: string } } | null;
}

function get(t: TestHub, path: string, token: string | null, localAddress: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      t.apiUrl(path),
      {
        method: 'GET',
        ca: t.caPem,
        localAddress,
        agent: false,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: text.length > 0 ? (JSON.parse(text) as Answer['body']) : null,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('hub API under token brute force', () => {
  let t: TestHub;
  let shopper: { id: string; token: string };
  const ATTACKER = '127.0.0.2';
  const SHOP = '127.0.0.1';
  const BURST = 8;

  beforeAll(async () => {
    // 60 a minute: one refused token is forgiven each second, quick to observe, slow next to a request.
    t = await startTestHub({ config: { api: { failedAuth: { perMinute: 60, burst: BURST } } } });
    shopper = (
      await t.request('POST', '/v1/shoppers', { body: { consent: { presenceForOffers: true, analytics: true } } })
    ).body as { id: string; token: string };
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 429 once an address has presented too many wrong tokens, even for the right one', async () => {
    const answers: Answer[] = [];
    // Faster than the refill: BURST wrong tokens are refused with 401, then the address waits.
    for (let i = 0; i < BURST + 6; i++) answers.push(await get(t, '/v1/me', randomBytes(16).toString('hex'), ATTACKER));
    const statuses = answers.map((a) => a.status);
    expect(statuses.slice(0, BURST)).toEqual(Array(BURST).fill(401));
    expect(statuses.slice(BURST + 2)).toEqual(Array(4).fill(429));
    const limited = answers[answers.length - 1] as Answer;
    expect(limited.body?.error?.code).toBe('AUTH_RATE_LIMITED');
    expect(limited.body?.error?.message).toMatch(/Too many refused credentials from this address; try again in \d+ s/);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    // While locked, the right token is not recognised either: no oracle for a lucky guess.
    expect((await get(t, '/v1/me', shopper.token, ATTACKER)).status).toBe(429);
    // The shop's own address is not affected.
    expect((await get(t, '/v1/me', shopper.token, SHOP)).status).toBe(200);
    expect((await get(t, '/v1/technician/status', randomBytes(16).toString('hex'), ATTACKER)).status).toBe(429);
  });

  it('lets the address try again once its bucket has refilled', async () => {
    const deadline = Date.now() + 10_000;
    let answer = await get(t, '/v1/me', shopper.token, ATTACKER);
    while (answer.status === 429 && Date.now() < deadline) answer = await get(t, '/v1/me', shopper.token, ATTACKER);
    expect(answer.status).toBe(200);
  });
});
