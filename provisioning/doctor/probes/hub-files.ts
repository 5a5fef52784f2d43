import { existsSync, readFileSync, statSync } from 'node:fs';
import { listGateways, openHubDatabase, schemaVersion } from '../../../hub/mod.ts';
import { certificateInfo, issuedBy, keyMatches } from '../../adapters/certificate-info.ts';
import type { CertificateFact, DatabaseFact, TokenFact } from '../core/hub-verdicts.ts';

/** The hub's files as the doctor measures them: certificate and key, token files, database. */

export function probeCertificate(options: {
  certFile: string;
  keyFile: string;
  certPath: string;
  keyPath: string;
  caPath: string | null;
}): CertificateFact {
  try {
    const cert = readFileSync(options.certPath);
    const key = readFileSync(options.keyPath);
    const info = certificateInfo(cert);
    return {
      ok: true,
      certFile: options.certFile,
      keyFile: options.keyFile,
      names: [...info.hostnames, ...info.ips],
      validFrom: info.validFrom.getTime(),
      validTo: info.validTo.getTime(),
      keyMatches: keyMatches(cert, key),
      issuedByStoreCa:
        options.caPath !== null && existsSync(options.caPath) ? issuedBy(cert, readFileSync(options.caPath)) : null,
    };
  } catch (error) {
    return {
      ok: false,
      certFile: options.certFile,
      keyFile: options.keyFile,
      error: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
    };
  }
}

export function probeToken(what: TokenFact['what'], configured: string | undefined, path: string | null): TokenFact {
  if (configured === undefined || path === null)
    return { what, configured: null, path: null, error: null, length: 0, mode: 0 };
  try {
    const text = readFileSync(path, 'utf8').trim();
    return { what, configured, path, error: null, length: text.length, mode: statSync(path).mode };
  } catch (error) {
    return {
      what,
      configured,
      path,
      error: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
      length: 0,
      mode: 0,
    };
  }
}

export function probeDatabase(path: string): DatabaseFact {
  if (!existsSync(path)) return { exists: false, path };
  try {
    const db = openHubDatabase(path, { readonly: true });
    try {
      const gateways = listGateways(db);
      return {
        exists: true,
        path,
        error: null,
        schemaVersion: schemaVersion(db),
        gateways: gateways.length,
        revoked: gateways.filter((g) => g.revokedMs !== null).length,
      };
    } finally {
      db.close();
    }
  } catch (error) {
    return { exists: true, path, error: (error as Error).message };
  }
}
