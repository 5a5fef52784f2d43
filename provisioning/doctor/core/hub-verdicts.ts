import { check, type CheckResult } from './check.ts';
import { THRESHOLDS, type TlsOutcome } from './verdicts.ts';

/** Verdicts for the hub's own files and listener (pure; the probes measure). */

export type CertificateFact =
  | { ok: false; certFile: string; keyFile: string; error: string }
  | {
      ok: true;
      certFile: string;
      keyFile: string;
      names: string[];
      validFrom: number;
      validTo: number;
      keyMatches: boolean;
      /** Signed by the store CA beside hub.yaml (ca.pem); null when there is no ca.pem there. */
      issuedByStoreCa: boolean | null;
    };

const DAY_MS = 86_400_000;

export function certificateVerdict(fact: CertificateFact, nowMs: number): CheckResult {
  if (!fact.ok)
    return check(
      'tls-certificate',
      'FAIL',
      `cannot read the broker certificate or key (${fact.error})`,
      `restore ${fact.certFile} and ${fact.keyFile} from the store folder made by \`hushpoint provision init-store\``,
    );
  if (!fact.keyMatches)
    return check(
      'tls-certificate',
      'FAIL',
      `${fact.keyFile} is not the private key of ${fact.certFile}`,
      'restore the pair made together by init-store (hub-cert.pem and hub-key.pem)',
    );
  if (fact.issuedByStoreCa === false) {
    return check(
      'tls-certificate',
      'FAIL',
      `${fact.certFile} is not signed by the store CA (ca.pem beside hub.yaml): gateways will refuse it`,
      'restore the certificate made by init-store with this ca.pem, or re-run `hushpoint provision init-store --force` and give every gateway the new ca.pem',
    );
  }
  if (nowMs < fact.validFrom)
    return check(
      'tls-certificate',
      'FAIL',
      `${fact.certFile} is not valid before ${new Date(fact.validFrom).toISOString()}`,
      "check this machine's clock (`timedatectl status`)",
    );
  const names = fact.names.join(', ');
  if (nowMs >= fact.validTo)
    return check(
      'tls-certificate',
      'FAIL',
      `${fact.certFile} expired on ${new Date(fact.validTo).toISOString().slice(0, 10)}`,
      'issue a new hub certificate with the store CA (init-store --force makes a new CA: then every gateway needs the new ca.pem)',
    );
  const days = Math.floor((fact.validTo - nowMs) / DAY_MS);
  if (days < THRESHOLDS.certificateWarnDays)
    return check(
      'tls-certificate',
      'WARN',
      `${fact.certFile} (${names}) expires in ${days} days`,
      'plan a new hub certificate before it expires',
    );
  return check(
    'tls-certificate',
    'PASS',
    `${fact.certFile} for ${names}, key matches, ${fact.issuedByStoreCa === true ? 'signed by ca.pem, ' : ''}valid ${days} more days`,
  );
}

export interface TokenFact {
  what: 'technician' | 'admin';
  configured: string | null;
  path: string | null;
  error: string | null;
  length: number;
  mode: number;
}

export function tokensVerdict(facts: TokenFact[]): CheckResult {
  const configured = facts.filter((f) => f.configured !== null);
  if (configured.length === 0)
    return check('tokens', 'INFO', 'no technician or admin token configured: those pages and routes answer 403');
  for (const f of configured) {
    if (f.error !== null)
      return check(
        'tokens',
        'FAIL',
        `the ${f.what} token file ${f.path} cannot be read (${f.error}); the hub will not start`,
        `restore it from the store folder, or write a new random token: \`openssl rand -base64 32 > ${f.path} && chmod 600 ${f.path}\``,
      );
    if (f.length < 16)
      return check(
        'tokens',
        'FAIL',
        `the ${f.what} token in ${f.path} has ${f.length} characters, expected at least 16; the hub will not start`,
        `write a longer random token: \`openssl rand -base64 32 > ${f.path}\``,
      );
  }
  // The hub refuses a token file others may read or change (shared/secrets/secret-file.ts).
  const open = configured.find((f) => (f.mode & 0o027) !== 0);
  if (open !== undefined)
    return check(
      'tokens',
      'FAIL',
      `the ${open.what} token file ${open.path} is readable by other users (mode ${(open.mode & 0o777).toString(8)}); the hub will not start`,
      `\`chmod 600 ${open.path}\``,
    );
  return check(
    'tokens',
    'PASS',
    `${configured.map((f) => f.what).join(' and ')} token${configured.length > 1 ? 's' : ''} present, owner-only`,
  );
}

export type DatabaseFact =
  | { exists: false; path: string }
  | { exists: true; path: string; error: string }
  | { exists: true; path: string; error: null; schemaVersion: number; gateways: number; revoked: number };

export function databaseVerdict(fact: DatabaseFact): CheckResult {
  if (!fact.exists)
    return check(
      'database',
      'WARN',
      `${fact.path} does not exist yet (the hub creates it when it starts)`,
      'if gateways were provisioned, this is the wrong file: use the hub.db of the store folder made by init-store (hub.yaml "database")',
    );
  if (fact.error !== null)
    return check(
      'database',
      'FAIL',
      `cannot open ${fact.path} (${fact.error})`,
      'check its owner and permissions, and free disk space; restore it from a backup if it is damaged',
    );
  const active = fact.gateways - fact.revoked;
  if (active === 0) {
    return check(
      'database',
      'WARN',
      `${fact.path}: schema v${fact.schemaVersion}, no active gateways${fact.revoked > 0 ? ` (${fact.revoked} revoked)` : ''}`,
      'add them: `hushpoint provision add-gateway --store-dir STORE --gateway ID --zone Z` (or rotate-gateway to bring a revoked one back)',
    );
  }
  return check(
    'database',
    'PASS',
    `${fact.path}: schema v${fact.schemaVersion}, ${active} gateway${active === 1 ? '' : 's'} registered${fact.revoked > 0 ? ` (+${fact.revoked} revoked)` : ''}`,
  );
}

export type ListenerFact =
  | { probed: false; reason: string }
  | {
      probed: true;
      host: string;
      port: number;
      outcome: TlsOutcome;
      servesConfiguredCert: boolean | null;
      verifiedWithCa: boolean;
    };

export function brokerVerdict(fact: ListenerFact): CheckResult {
  if (!fact.probed) return check('broker', 'INFO', `not probed: ${fact.reason}`);
  const where = `${fact.host}:${fact.port}`;
  const start =
    'start it: `sudo systemctl start hushpoint-hub` (or `hushpoint hub --config hub.yaml`); if it stops, read `journalctl -u hushpoint-hub -n 100`';
  if (fact.outcome.kind === 'unreachable')
    return check(
      'broker',
      'FAIL',
      `the hub's MQTT TLS listener does not answer on ${where} (${fact.outcome.code})`,
      start,
    );
  if (fact.outcome.kind === 'tls')
    return check(
      'broker',
      'FAIL',
      `TLS to ${where} failed (${fact.outcome.code}): the certificate it serves is not trusted by the store CA`,
      "the hub serves a certificate from another CA: restore hub-cert.pem/hub-key.pem made by init-store with this store's ca.pem and restart the hub",
    );
  if (fact.servesConfiguredCert === false)
    return check(
      'broker',
      'WARN',
      `${where} answers TLS but serves another certificate than broker.tls.certFile`,
      'restart the hub after replacing its certificate: `sudo systemctl restart hushpoint-hub`',
    );
  return check(
    'broker',
    'PASS',
    `listening on ${where}${fact.verifiedWithCa ? ', certificate trusted by ca.pem' : ''}`,
  );
}
