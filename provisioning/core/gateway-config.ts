import { renderCommentedYaml } from './commented-yaml.ts';

/**
 * gateway.yaml for one beacon Pi (valid against gatewayRole). Secrets are file paths relative
 * to the config's folder, /etc/hushpoint on the Pi (and the bundle folder before install),
 * so the same file validates in both places. The outbox lives in the service's state folder.
 */

/** Where install.sh puts things on the Pi. */
export const PI_PATHS = {
  /** The release root (docs/updates.md): releases/<version>/, and the current and previous links. */
  appDir: '/opt/hushpoint',
  /** The release the service runs; `hushpoint update apply` switches this link. */
  currentDir: '/opt/hushpoint/current',
  configDir: '/etc/hushpoint',
  configFile: '/etc/hushpoint/gateway.yaml',
  dataDir: '/var/lib/hushpoint',
  outbox: '/var/lib/hushpoint/outbox.db',
  /** Written by the started service (HUSHPOINT_HEALTH_FILE); the update installer waits for it. */
  healthFile: '/var/lib/hushpoint/health.json',
  /** The store's public update key: only bundles it verifies are installed. */
  updateKey: '/etc/hushpoint/update-signing.pub.pem',
  user: 'hushpoint',
  service: 'hushpoint-gateway',
} as const;

export const BUNDLE_FILES = {
  config: 'gateway.yaml',
  caCert: 'ca.pem',
  credential: 'credential',
  unit: 'hushpoint-gateway.service',
  installScript: 'install.sh',
  readme: 'README.txt',
  updateKey: 'update-signing.pub.pem',
} as const;

export interface GatewayConfigInput {
  store: string;
  gateway: string;
  zone: string;
  hubUrl: string;
}

export function gatewayConfigDocument(input: GatewayConfigInput): Record<string, unknown> {
  return {
    role: 'gateway',
    store: input.store,
    gateway: input.gateway,
    zone: input.zone,
    hub: {
      url: input.hubUrl,
      caFile: BUNDLE_FILES.caCert,
      credentialFile: BUNDLE_FILES.credential,
    },
    ble: { source: 'noble', adapterIndex: 0 },
    outbox: { path: PI_PATHS.outbox },
    log: { level: 'info' },
  };
}

export function renderGatewayYaml(input: GatewayConfigInput, now: Date): string {
  return renderCommentedYaml(gatewayConfigDocument(input), {
    header: [
      `hushpoint gateway ${input.gateway} — store ${input.store}, zone ${input.zone}`,
      `Made by \`hushpoint provision add-gateway\` on ${now.toISOString()}; install.sh puts it at ${PI_PATHS.configFile}.`,
      `Relative file names are relative to this file's folder (${PI_PATHS.configDir} on the Pi). Check after editing:`,
      `  hushpoint check-config ${PI_PATHS.configFile}`,
      'Every setting and its default (window, LEDs, watchdog, ...): gateway/config.schema.ts.',
    ],
    comments: {
      zone: 'The store area this gateway covers. The hub keeps its own copy: to move the gateway, re-make its\nbundle with `hushpoint provision add-gateway --force`.',
      hub: 'The in-store hub. TLS is verified against the store CA (ca.pem).',
      'hub.credentialFile':
        "This gateway's MQTT password (the user name is the gateway id). Replace it with\n`hushpoint provision rotate-gateway`; never edit it by hand.",
      ble: '"noble" = the Pi\'s Bluetooth adapter hci<adapterIndex>.',
      outbox: 'Presence batches wait here until the hub acknowledges them.',
    },
  });
}
