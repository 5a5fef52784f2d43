import { EXECUTABLE_MODE, PUBLIC_MODE, SECRET_MODE, type PlannedFile } from './file-plan.ts';
import { BUNDLE_FILES, PI_PATHS, renderGatewayYaml, type GatewayConfigInput } from './gateway-config.ts';
import { renderInstallScript } from './install-script.ts';
import { renderGatewayUnit } from './systemd-unit.ts';

/**
 * A gateway bundle: everything one Pi needs, to be copied onto it (or its SD card) and
 * installed with `sudo ./install.sh`. Pure: the credential and the CA come in as arguments.
 */

export interface BundleMaterial {
  caCertPem: string;
  /** The gateway's MQTT password in clear (the hub keeps only its scrypt hash). */
  credential: string;
  /** The store's public update key (PEM): the Pi installs only bundles it verifies. */
  updateKeyPem: string;
}

export function credentialFile(credential: string): PlannedFile {
  return {
    path: BUNDLE_FILES.credential,
    content: `${credential}\n`,
    mode: SECRET_MODE,
    description: 'MQTT credential (secret)',
  };
}

function readme(input: GatewayConfigInput): string {
  return `hushpoint gateway bundle: ${input.gateway} (store ${input.store}, zone ${input.zone})

Copy this folder and the hushpoint release to the Pi, then on the Pi:

  sudo ./install.sh /path/to/release

It installs Node.js 20 if needed, the release in ${PI_PATHS.appDir}, these files in
${PI_PATHS.configDir} and the ${PI_PATHS.service} service. Then check the gateway with

  sudo hushpoint doctor --config ${PI_PATHS.configFile}

"credential" is a secret: delete this folder from USB sticks and laptops once installed.
See docs/field-guide.md.
`;
}

export function planGatewayBundle(input: GatewayConfigInput, material: BundleMaterial, now: Date): PlannedFile[] {
  return [
    {
      path: BUNDLE_FILES.config,
      content: renderGatewayYaml(input, now),
      mode: PUBLIC_MODE,
      description: 'gateway config',
    },
    {
      path: BUNDLE_FILES.caCert,
      content: material.caCertPem.endsWith('\n') ? material.caCertPem : `${material.caCertPem}\n`,
      mode: PUBLIC_MODE,
      description: 'store CA certificate',
    },
    credentialFile(material.credential),
    { path: BUNDLE_FILES.unit, content: renderGatewayUnit(input), mode: PUBLIC_MODE, description: 'systemd unit' },
    {
      path: BUNDLE_FILES.installScript,
      content: renderInstallScript(input),
      mode: EXECUTABLE_MODE,
      description: 'installer for Raspberry Pi OS',
    },
    {
      path: BUNDLE_FILES.updateKey,
      content: material.updateKeyPem.endsWith('\n') ? material.updateKeyPem : `${material.updateKeyPem}\n`,
      mode: PUBLIC_MODE,
      description: "store's public update key (hushpoint update apply checks bundles with it)",
    },
    {
      path: BUNDLE_FILES.readme,
      content: readme(input),
      mode: PUBLIC_MODE,
      description: 'what to do with this folder',
    },
  ];
}
