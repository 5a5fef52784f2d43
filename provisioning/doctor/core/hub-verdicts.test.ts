import { describe, expect, it } from 'vitest';
import {
  brokerVerdict,
  certificateVerdict,
  databaseVerdict,
  tokensVerdict,
  type CertificateFact,
  type TokenFact,
} from './hub-verdicts.ts';

const NOW = Date.parse('2026-11-28T10:00:00Z');
const DAY = 86_400_000;

describe('doctor hub verdicts', () => {
  const cert = (over: Partial<Extract<CertificateFact, { ok: true }>>): CertificateFact => ({
    ok: true,
    certFile: 'hub-cert.pem',
    keyFile: 'hub-key.pem',
    names: ['hub.local', '10.0.0.2'],
    validFrom: NOW - DAY,
    validTo: NOW + 400 * DAY,
    keyMatches: true,
    issuedByStoreCa: true,
    ...over,
  });
  it.each([
    [cert({}), 'PASS', /hub-cert.pem for hub.local, 10.0.0.2, key matches, signed by ca.pem, valid 400 more days/],
    [cert({ issuedByStoreCa: null }), 'PASS', /key matches, valid 400/],
    [cert({ keyMatches: false }), 'FAIL', /hub-key.pem is not the private key of hub-cert.pem/],
    [cert({ issuedByStoreCa: false }), 'FAIL', /not signed by the store CA.*gateways will refuse it/],
    [cert({ validTo: NOW + 10 * DAY }), 'WARN', /expires in 10 days/],
    [cert({ validTo: NOW - DAY }), 'FAIL', /expired on 2026-11-27/],
    [cert({ validFrom: NOW + DAY }), 'FAIL', /not valid before/],
    [
      { ok: false, certFile: 'hub-cert.pem', keyFile: 'hub-key.pem', error: 'ENOENT' } as CertificateFact,
      'FAIL',
      /cannot read .*ENOENT/,
    ],
  ])('certificate %j → %s', (fact, status, detail) => {
    const result = certificateVerdict(fact, NOW);
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
    if (status !== 'PASS') expect(result.fix).toBeTruthy();
  });

  const token = (over: Partial<TokenFact>): TokenFact => ({
    what: 'admin',
    configured: 'admin.token',
    path: '/s/admin.token',
    error: null,
    length: 43,
    mode: 0o100600,
    ...over,
  });
  it.each([
    [[token({}), token({ what: 'technician' })], 'PASS', /admin and technician tokens present, owner-only/],
    [
      [token({ configured: null, path: null }), token({ what: 'technician', configured: null, path: null })],
      'INFO',
      /no technician or admin token configured/,
    ],
    [[token({ error: 'ENOENT' })], 'FAIL', /cannot be read \(ENOENT\); the hub will not start/],
    [[token({ length: 8 })], 'FAIL', /has 8 characters, expected at least 16/],
    [[token({ mode: 0o100644 })], 'FAIL', /readable by other users \(mode 644\); the hub will not start/],
  ])('tokens %j → %s', (facts, status, detail) => {
    const result = tokensVerdict(facts);
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
  });

  it.each([
    [{ exists: false, path: 'hub.db' }, 'WARN', /does not exist yet/],
    [
      { exists: true, path: 'hub.db', error: 'file is not a database' },
      'FAIL',
      /cannot open hub.db \(file is not a database\)/,
    ],
    [
      { exists: true, path: 'hub.db', error: null, schemaVersion: 1, gateways: 0, revoked: 0 },
      'WARN',
      /no active gateways$/,
    ],
    [
      { exists: true, path: 'hub.db', error: null, schemaVersion: 1, gateways: 2, revoked: 2 },
      'WARN',
      /no active gateways \(2 revoked\)/,
    ],
    [
      { exists: true, path: 'hub.db', error: null, schemaVersion: 2, gateways: 6, revoked: 1 },
      'PASS',
      /schema v2, 5 gateways registered \(\+1 revoked\)/,
    ],
  ] as const)('database %j → %s', (fact, status, detail) => {
    const result = databaseVerdict(fact);
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
  });

  it.each([
    [{ probed: false, reason: 'port 0' }, 'INFO', /not probed: port 0/],
    [
      {
        probed: true,
        host: '127.0.0.1',
        port: 8883,
        outcome: { kind: 'ok' },
        servesConfiguredCert: true,
        verifiedWithCa: true,
      },
      'PASS',
      /listening on 127.0.0.1:8883, certificate trusted by ca.pem/,
    ],
    [
      {
        probed: true,
        host: '127.0.0.1',
        port: 8883,
        outcome: { kind: 'ok' },
        servesConfiguredCert: false,
        verifiedWithCa: true,
      },
      'WARN',
      /serves another certificate/,
    ],
    [
      {
        probed: true,
        host: '127.0.0.1',
        port: 8883,
        outcome: { kind: 'unreachable', code: 'ECONNREFUSED' },
        servesConfiguredCert: null,
        verifiedWithCa: true,
      },
      'FAIL',
      /does not answer on 127.0.0.1:8883 \(ECONNREFUSED\)/,
    ],
    [
      {
        probed: true,
        host: '127.0.0.1',
        port: 8883,
        outcome: { kind: 'tls', code: 'SELF_SIGNED_CERT_IN_CHAIN', message: '' },
        servesConfiguredCert: null,
        verifiedWithCa: true,
      },
      'FAIL',
      /not trusted by the store CA/,
    ],
  ] as const)('broker %j → %s', (fact, status, detail) => {
    const result = brokerVerdict(fact);
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
  });
});
