import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';

/** What provisioning and doctor read from a PEM certificate (node:crypto's X509Certificate). */
export interface CertificateInfo {
  subject: string;
  hostnames: string[];
  ips: string[];
  validFrom: Date;
  validTo: Date;
  /** SHA-256 of the DER, "AB:CD:..." (as `openssl x509 -fingerprint -sha256` prints it). */
  fingerprint256: string;
  isCa: boolean;
}

export function certificateInfo(pem: string | Buffer): CertificateInfo {
  const cert = new X509Certificate(pem);
  const hostnames: string[] = [];
  const ips: string[] = [];
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    if (entry.startsWith('DNS:')) hostnames.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) ips.push(entry.slice(11));
  }
  return {
    subject: cert.subject,
    hostnames,
    ips,
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    fingerprint256: cert.fingerprint256,
    isCa: cert.ca,
  };
}

/** True when `certPem` was signed by the CA certificate `caPem`. */
export function issuedBy(certPem: string | Buffer, caPem: string | Buffer): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** True when the private key `keyPem` belongs to the certificate. */
export function keyMatches(certPem: string | Buffer, keyPem: string | Buffer): boolean {
  return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
}

/** SHA-256 fingerprint of a DER-encoded certificate (as a TLS peer certificate gives it). */
export function derFingerprint256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/.{2}/g)?.join(':') ?? '';
}
