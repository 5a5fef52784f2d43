import { processIo, runCommand, type Command, type CliIo } from '../shared/cli/command.ts';
import { auditCommand } from './commands/audit.ts';
import { benchCommand } from './commands/bench.ts';
import { checkConfigCommand } from './commands/check-config.ts';
import { demoCommand } from './commands/demo.ts';
import { doctorCommand } from './commands/doctor.ts';
import { eidCommand } from './commands/eid.ts';
import { gatewayCommand } from './commands/gateway.ts';
import { hubCommand } from './commands/hub.ts';
import { provisionCommand } from './commands/provision.ts';
import { simCommand } from './commands/sim.ts';

/** The `hushpoint` program: one CLI, one subcommand per job (DESIGN §2). */
export function rootCommand(): Command {
  return {
    name: 'hushpoint',
    summary: 'privacy-first in-store presence and offers',
    subcommands: () => [
      eidCommand,
      checkConfigCommand,
      demoCommand,
      benchCommand,
      auditCommand,
      hubCommand,
      simCommand,
      provisionCommand,
      doctorCommand,
      gatewayCommand,
    ],
  };
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  return runCommand(rootCommand(), argv, { io, path: 'hushpoint' });
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly || process.env.HUSHPOINT_CLI_ENTRY === '1') {
  process.exitCode = await main(process.argv.slice(2));
}
