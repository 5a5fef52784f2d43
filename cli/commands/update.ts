import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { numberOption, usageError, type CliIo, type Command, type OptionValues } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';
import {
  applyUpdate,
  DEVICE_UPDATE_KEY,
  loadPublicKey,
  rollbackUpdate,
  systemdService,
  updateStatus,
  type ServiceControl,
  type UpdateStatus,
} from '../../provisioning/update/mod.ts';

/**
 * `hushpoint update`: install a signed release bundle on this device, show what is installed,
 * or go back to the previous release (docs/updates.md). Loads neither the hub nor the compiler.
 */

const DEFAULTS = {
  root: '/opt/hushpoint',
  healthFile: '/var/lib/hushpoint/health.json',
  service: 'hushpoint-gateway',
  deadlineSeconds: 60,
} as const;

const json = { type: 'boolean', description: 'print one JSON object on stdout (for scripts)' } as const;
const root = { type: 'string', value: 'DIR', description: `the release root (default ${DEFAULTS.root})` } as const;
const healthFile = {
  type: 'string',
  value: 'FILE',
  description: `the health file the service writes (default ${DEFAULTS.healthFile})`,
} as const;
const serviceOptions = {
  service: {
    type: 'string',
    value: 'UNIT',
    description: `the systemd unit to restart (default ${DEFAULTS.service})`,
  },
  'restart-command': {
    type: 'string',
    value: 'CMD',
    description: 'restart the service with this shell command instead of systemctl',
  },
  deadline: {
    type: 'string',
    value: 'S',
    description: `seconds the release has to report healthy (default ${DEFAULTS.deadlineSeconds})`,
  },
} as const;

function str(values: OptionValues, name: string, fallback: string): string {
  const v = values[name];
  return typeof v === 'string' ? v : fallback;
}

/** A service restarted by a shell command (a supervisor other than systemd, or a test harness). */
function commandService(command: string): ServiceControl {
  let failed: string | null = null;
  return {
    async restart() {
      failed = null;
      try {
        await promisify(execFile)('/bin/sh', ['-c', command], { timeout: 60_000 });
      } catch (error) {
        failed = `restart command failed: ${(error as Error).message.split('\n')[0] ?? ''}`;
      }
    },
    failure: () => failed,
  };
}

function installerOptions(values: OptionValues) {
  if (values.service !== undefined && values['restart-command'] !== undefined)
    throw usageError('--service and --restart-command are exclusive, expected one of them (or neither)');
  const command = values['restart-command'];
  const deadline = numberOption(values, 'deadline', { min: 1, max: 3600 }, DEFAULTS.deadlineSeconds);
  return {
    root: str(values, 'root', DEFAULTS.root),
    healthFile: str(values, 'health-file', DEFAULTS.healthFile),
    service:
      typeof command === 'string' ? commandService(command) : systemdService(str(values, 'service', DEFAULTS.service)),
    deadlineMs: Math.round(deadline * 1000),
  };
}

const applyCommand: Command = {
  name: 'apply',
  summary: 'verify a signed bundle, install it beside the current release, switch, roll back if unhealthy',
  positionals: ['FILE'],
  description: `Verifies FILE against the store's public update key (signature, every file's SHA-256,
size limits, paths, platform, version), unpacks it to ROOT/releases/<version>, points ROOT/current
at it, restarts the service and waits for the new release's health line. If none comes within the
deadline (or the service fails), ROOT/current goes back to the previous release, the service is
restarted on it and the reason is recorded in ROOT/update-history.jsonl. A refused bundle changes
nothing. Exit 0 installed and healthy, 1 refused or rolled back (the error code says which).`,
  options: {
    root,
    key: { type: 'string', value: 'FILE', description: `the store's public update key (default ${DEVICE_UPDATE_KEY})` },
    'health-file': healthFile,
    ...serviceOptions,
    'allow-downgrade': { type: 'boolean', description: 'install a bundle older than the current release' },
    json,
  },
  async run({ values, positionals }, { io }) {
    const file = positionals[0];
    if (file === undefined)
      throw usageError('no bundle given, expected FILE (made by hushpoint provision update-bundle)');
    const options = installerOptions(values);
    const result = await applyUpdate(file, {
      ...options,
      trustedKey: loadPublicKey(str(values, 'key', DEVICE_UPDATE_KEY)),
      allowDowngrade: values['allow-downgrade'] === true,
    });
    if (values.json) {
      io.out(JSON.stringify(result));
      return EXIT.OK;
    }
    io.out(
      `Release ${result.version} installed in ${options.root} (${result.files} files verified, unpacked in ${result.unpackSeconds.toFixed(1)} s) and healthy ${result.healthySeconds.toFixed(1)} s after the switch.`,
    );
    io.out(
      result.previous === null
        ? 'There was no earlier release.'
        : `Previous release ${result.previous} is kept: hushpoint update rollback --root ${options.root}`,
    );
    if (result.pruned.length > 0) io.out(`Removed older releases: ${result.pruned.join(', ')}`);
    return EXIT.OK;
  },
};

function printStatus(io: CliIo, status: UpdateStatus): void {
  io.out(`Release root ${status.root}`);
  io.out(`  current:  ${status.current ?? '-'}`);
  io.out(`  previous: ${status.previous ?? '-'}`);
  io.out(`  on disk:  ${status.releases.length === 0 ? '-' : status.releases.join(', ')}`);
  io.out(
    status.health === null
      ? '  health:   no health line'
      : `  health:   ${status.health.role} ${status.health.version} (pid ${status.health.pid}) reported healthy at ${status.health.at}`,
  );
  if (status.history.length > 0) {
    io.out('History (newest last):');
    for (const h of status.history)
      io.out(
        `  ${h.at}  ${h.action} ${h.from ?? '-'} -> ${h.to}: ${h.outcome} after ${h.seconds.toFixed(1)} s${h.reason === undefined ? '' : ` (${h.reason})`}`,
      );
  }
}

const statusCommand: Command = {
  name: 'status',
  summary: 'show the current and previous release, the last health line and the update history',
  options: { root, 'health-file': healthFile, json },
  run({ values }, { io }) {
    const status = updateStatus(str(values, 'root', DEFAULTS.root), str(values, 'health-file', DEFAULTS.healthFile));
    if (values.json) io.out(JSON.stringify(status));
    else printStatus(io, status);
    return EXIT.OK;
  },
};

const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'switch back to the previous release (and forward again if it does not report healthy)',
  options: { root, 'health-file': healthFile, ...serviceOptions, json },
  async run({ values }, { io }) {
    const options = installerOptions(values);
    const result = await rollbackUpdate(options);
    if (values.json) io.out(JSON.stringify(result));
    else
      io.out(
        `Rolled back from ${result.from} to ${result.to}, healthy ${result.healthySeconds.toFixed(1)} s after the switch; ${result.from} is now the previous release.`,
      );
    return EXIT.OK;
  },
};

export const updateCommand: Command = {
  name: 'update',
  summary: 'install a signed offline update on this device, show its status, or roll back',
  subcommands: () => [applyCommand, statusCommand, rollbackCommand],
};
