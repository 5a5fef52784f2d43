import { processIo, runCommand, type Command, type CliIo, type LazyCommand } from '../shared/cli/command.ts';
import { checkConfigCommand } from './commands/check-config.ts';
import { eidCommand } from './commands/eid.ts';

/**
 * The `hushpoint` program: one CLI, one subcommand per job (docs/architecture.md). Heavy commands are
 * loaded only when they run (LazyCommand): `hushpoint gateway` on a Pi never loads the hub,
 * the simulator or the benchmarks. A test checks each summary against its module.
 */
function lazy(name: string, summary: string, load: () => Promise<Command>): LazyCommand {
  return { name, summary, load };
}

export const COMMANDS: Array<Command | LazyCommand> = [
  lazy(
    'gateway',
    'run the beacon gateway (BLE → opt-in filter → coarse windows → hub)',
    async () => (await import('./commands/gateway.ts')).gatewayCommand,
  ),
  lazy(
    'hub',
    'run the in-store hub (MQTT broker, ingest, EID resolution, presence, API)',
    async () => (await import('./commands/hub.ts')).hubCommand,
  ),
  lazy(
    'sim',
    "simulate a store: BLE traces for the gateways, ground truth, scoring; a chain's releases; POS purchases",
    async () => (await import('./commands/sim.ts')).simCommand,
  ),
  lazy(
    'demo',
    'run the whole system on this machine with a simulated store',
    async () => (await import('./commands/demo.ts')).demoCommand,
  ),
  lazy(
    'provision',
    'create a store and its gateway bundles; revoke, rotate and list gateways; sign update bundles',
    async () => (await import('./commands/provision.ts')).provisionCommand,
  ),
  lazy(
    'update',
    'install a signed offline update on this device, show its status, or roll back',
    async () => (await import('./commands/update.ts')).updateCommand,
  ),
  lazy(
    'doctor',
    'check a gateway or hub: config, Node, Bluetooth, hub over TLS, clock, disk, service',
    async () => (await import('./commands/doctor.ts')).doctorCommand,
  ),
  lazy(
    'hq',
    "run HQ, the chain's receiver of stores' DP releases (HTTPS, MQTT, dashboard, API)",
    async () => (await import('./commands/hq.ts')).hqCommand,
  ),
  lazy(
    'collector',
    'an alias of "hushpoint hq" (its older name)',
    async () => (await import('./commands/hq.ts')).collectorCommand,
  ),
  lazy(
    'privacy',
    'the privacy contract: plan the releases before a store goes live',
    async () => (await import('./commands/privacy.ts')).privacyCommand,
  ),
  lazy(
    'audit',
    'privacy audit tools: sample the production mechanisms, read the budget ledger, attack the offers',
    async () => (await import('./commands/audit.ts')).auditCommand,
  ),
  lazy(
    'synth',
    'DP synthetic data: fit a synthesizer to a CSV, evaluate synthetic rows, build the retail task',
    async () => (await import('./commands/synth.ts')).synthCommand,
  ),
  lazy(
    'recommend',
    'the DP item–item recommender: fit a signed model, score customers, evaluate against baselines',
    async () => (await import('./commands/recommend.ts')).recommendCommand,
  ),
  lazy(
    'purchases',
    "the point of sale's purchases: import an export, link customer ids to shoppers",
    async () => (await import('./commands/purchases.ts')).purchasesCommand,
  ),
  lazy(
    'calibrate',
    "set a gateway's band thresholds from a reference tag at a known distance",
    async () => (await import('./commands/calibrate.ts')).calibrateCommand,
  ),
  lazy(
    'zones',
    'the zone model on real radio data: evaluate it on a labelled RSSI recording',
    async () => (await import('./commands/zones.ts')).zonesCommand,
  ),
  eidCommand,
  checkConfigCommand,
  lazy(
    'bench',
    'run a benchmark suite (gateway, hub, api, dp, offers, sim, privacy, synth, recommend, hq)',
    async () => (await import('./commands/bench.ts')).benchCommand,
  ),
];

export function rootCommand(): Command {
  return {
    name: 'hushpoint',
    summary: 'privacy-first in-store presence and offers',
    subcommands: () => COMMANDS,
  };
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  return runCommand(rootCommand(), argv, { io, path: 'hushpoint' });
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly || process.env.HUSHPOINT_CLI_ENTRY === '1') {
  process.exitCode = await main(process.argv.slice(2));
}
