import { renderCommentedYaml } from './commented-yaml.ts';

/**
 * hub.yaml for a new store (valid against hubRole): the TLS listener with the store's server
 * certificate, the HTTPS API with the technician and admin token files, the database, and the
 * POS import's link key. File
 * names are relative to hub.yaml's folder (the store folder), so the folder can be moved whole.
 */

export const STORE_FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  hubCert: 'hub-cert.pem',
  hubKey: 'hub-key.pem',
  hubConfig: 'hub.yaml',
  signingKey: 'upstream-signing.key',
  purchasesLinkKey: 'purchases-link.key',
  technicianToken: 'technician.token',
  adminToken: 'admin.token',
  database: 'hub.db',
  gateways: 'gateways',
} as const;

export interface HubConfigInput {
  store: string;
  mqttPort: number;
  apiPort: number;
  hostnames: string[];
  ips: string[];
  /**
   * Whether the hub's schema has the `upstream` section (it is being added alongside): when it
   * does, hub.yaml names the signing key file there, with upstream sync off until a URL is set.
   */
  upstreamSection?: boolean;
}

export function hubConfigDocument(input: HubConfigInput): Record<string, unknown> {
  return {
    role: 'hub',
    store: input.store,
    database: STORE_FILES.database,
    broker: {
      tls: { host: '0.0.0.0', port: input.mqttPort, certFile: STORE_FILES.hubCert, keyFile: STORE_FILES.hubKey },
    },
    api: {
      host: '0.0.0.0',
      port: input.apiPort,
      technicianTokenFile: STORE_FILES.technicianToken,
      adminTokenFile: STORE_FILES.adminToken,
    },
    ...(input.upstreamSection === true
      ? { upstream: { enabled: false, transport: 'https', signingKeyFile: STORE_FILES.signingKey } }
      : {}),
    purchases: { link: 'linked', linkKeyFile: STORE_FILES.purchasesLinkKey },
    log: { level: 'info' },
  };
}

export function renderHubYaml(input: HubConfigInput, now: Date): string {
  const names = [...input.hostnames, ...input.ips].join(', ');
  return renderCommentedYaml(hubConfigDocument(input), {
    header: [
      `hushpoint hub — store ${input.store}`,
      `Made by \`hushpoint provision init-store\` on ${now.toISOString()}.`,
      "Relative file names are relative to this file's folder. Check after editing:",
      '  hushpoint check-config hub.yaml',
      'Every setting and its default: hub/config.schema.ts.',
    ],
    comments: {
      database: 'The SQLite database (gateway registry with credential hashes, shoppers, presence).',
      broker: 'The MQTT broker the gateways connect to.',
      'broker.tls': `TLS listener. The certificate is signed by this store's CA (ca.pem) and names: ${names}.`,
      api: 'HTTPS API: shopper enrollment, the technician status page (technician token), admin routes (admin token).',
      purchases:
        "The POS import (docs/purchases.md): customer ids are linked to shoppers by HMAC under this store's link key.",
      ...(input.upstreamSection === true
        ? {
            upstream:
              'DP releases to head office: set enabled: true and url (HTTPS POST, signed with HMAC-SHA256 by the store key).',
          }
        : {}),
    },
  });
}
