import { PUBLIC_MODE, SECRET_MODE, type PlannedFile } from './file-plan.ts';
import { renderHubYaml, STORE_FILES, type HubConfigInput } from './hub-config.ts';

/**
 * The files of a new store folder, from material the shell generated (keys, certificates,
 * random secrets): pure, so what goes where with which permissions is tested without a disk.
 */

export interface StoreMaterial {
  ca: { certPem: string; keyPem: string };
  server: { certPem: string; keyPem: string };
  /** 32 random bytes: the key for HMAC-SHA256 signatures of upstream releases. */
  signingKey: Uint8Array;
  /** 32 random bytes: the key of the POS customer-id links (HMAC-SHA256, docs/purchases.md). */
  linkKey: Uint8Array;
  technicianToken: string;
  adminToken: string;
}

function line(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

export function planStoreFiles(input: HubConfigInput, material: StoreMaterial, now: Date): PlannedFile[] {
  if (material.signingKey.length !== 32)
    throw new RangeError(`the upstream signing key is ${material.signingKey.length} bytes, expected 32`);
  if (material.linkKey.length !== 32)
    throw new RangeError(`the purchases link key is ${material.linkKey.length} bytes, expected 32`);
  return [
    {
      path: STORE_FILES.caCert,
      content: line(material.ca.certPem),
      mode: PUBLIC_MODE,
      description: 'store CA certificate (goes into every gateway bundle)',
    },
    {
      path: STORE_FILES.caKey,
      content: line(material.ca.keyPem),
      mode: SECRET_MODE,
      description: 'store CA private key (keep offline; needed to re-issue the hub certificate)',
    },
    {
      path: STORE_FILES.hubCert,
      content: line(material.server.certPem),
      mode: PUBLIC_MODE,
      description: `hub TLS certificate for ${[...input.hostnames, ...input.ips].join(', ')}`,
    },
    {
      path: STORE_FILES.hubKey,
      content: line(material.server.keyPem),
      mode: SECRET_MODE,
      description: 'hub TLS private key',
    },
    {
      path: STORE_FILES.signingKey,
      content: line(Buffer.from(material.signingKey).toString('hex')),
      mode: SECRET_MODE,
      description: 'upstream signing key (HMAC-SHA256, 32 bytes hex)',
    },
    {
      path: STORE_FILES.purchasesLinkKey,
      content: line(Buffer.from(material.linkKey).toString('hex')),
      mode: SECRET_MODE,
      description: 'purchases link key (HMAC-SHA256 of POS customer ids, 32 bytes hex)',
    },
    {
      path: STORE_FILES.technicianToken,
      content: line(material.technicianToken),
      mode: SECRET_MODE,
      description: 'technician token (status page)',
    },
    {
      path: STORE_FILES.adminToken,
      content: line(material.adminToken),
      mode: SECRET_MODE,
      description: 'admin token (admin API)',
    },
    { path: STORE_FILES.hubConfig, content: renderHubYaml(input, now), mode: SECRET_MODE, description: 'hub config' },
  ];
}
