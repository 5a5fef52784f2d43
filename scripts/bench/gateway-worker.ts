import { createInjectedHciSource } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import { loadVirtualHciNoble, type NobleAdvertisement } from '../../gateway/adapters/noble-loader.ts';
import { optInEid } from '../../gateway/core/opt-in-filter.ts';
import { WindowCoarsener } from '../../gateway/core/window-coarsener.ts';
import { gatewayWorkspace } from '../../gateway/testing/harness.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { buildPool, POOL, T0, type PoolEntry } from './gateway-air.ts';

/**
 * One throughput run of the gateway benchmark, in a plain Node process pinned to one core
 * (scripts/bench/gateway.ts compiles this file with the release and runs it without the tsx
 * loader, the way the compiled release runs on a Pi). Prints one JSON line with the run's
 * figures: adverts/s through the whole gateway (noble's real parser, the opt-in filter, the
 * window, the outbox), through the filter and the window alone, and through noble's parser with
 * an empty listener (the baseline), plus this process's peak RSS after the full-speed flood.
 *
 * The peak RSS at the UART ceiling is not measured here but in the real `hushpoint gateway`
 * process (scripts/bench/gateway-service.ts): this worker loads only the gateway, not the CLI
 * that runs it — scripts/ never import cli/.
 */

const NOBLE_REPORTS = 300_000;
const CORE_REPORTS = 3_000_000;
const WARMUP = 30_000;

interface Timed {
  seconds: number;
  cpuSeconds: number;
}

function timed(fn: () => void): Timed {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** The whole gateway (createGateway) with an injected source, as fast as possible: throughput and CPU. */
async function noblePath(pool: PoolEntry[]): Promise<{ rate: number; cpuPerMillion: number; sightings: number }> {
  const ws = gatewayWorkspace({
    hub: { url: 'mqtt://127.0.0.1:1', reconnectMinMs: 60_000, reconnectMaxMs: 60_000 },
    window: { seconds: 10 },
  });
  const clock = new FakeClock(T0);
  const { source, inject } = createInjectedHciSource();
  const gateway = createGateway({
    config: ws.config,
    resolvePath: ws.resolvePath,
    ble: source,
    clock,
    logger: silentLogger(),
  });
  await gateway.start();
  let t = T0;
  let next = 0;
  const feed = (count: number): void => {
    for (let i = 0; i < count; i++) {
      t += 1;
      clock.set(t);
      inject(t, (pool[next++ & (POOL - 1)] as PoolEntry).hci);
    }
  };
  feed(WARMUP);
  const before = gateway.stats().optInAdverts;
  const run = timed(() => feed(NOBLE_REPORTS));
  const sightings = gateway.stats().optInAdverts - before;
  await gateway.stop();
  ws.remove();
  return { rate: NOBLE_REPORTS / run.seconds, cpuPerMillion: (run.cpuSeconds / NOBLE_REPORTS) * 1e6, sightings };
}

/** noble's parser alone, with an empty discover listener: the baseline the gateway adds to. */
async function nobleBaseline(pool: PoolEntry[]): Promise<number> {
  const loaded = loadVirtualHciNoble();
  const socket = loaded.virtualSocket;
  if (socket === undefined) throw new Error('no virtual socket');
  await new Promise<void>((resolve, reject) => {
    const start = (): void => loaded.noble.startScanning([], true, (error) => (error ? reject(error) : resolve()));
    if (loaded.noble.state === 'poweredOn') start();
    else loaded.noble.once('stateChange', start);
  });
  let seen = 0;
  loaded.noble.on('discover', (peripheral: { advertisement: NobleAdvertisement }) => {
    if (peripheral.advertisement !== undefined) seen++;
  });
  const feed = (count: number): void => {
    for (let i = 0; i < count; i++) socket.deliver((pool[i & (POOL - 1)] as PoolEntry).hci);
  };
  feed(WARMUP);
  const run = timed(() => feed(NOBLE_REPORTS));
  socket.close();
  if (seen === 0) throw new Error('noble reported nothing');
  return NOBLE_REPORTS / run.seconds;
}

/** The opt-in filter and the window coarsener alone, on parsed advertisements. */
function corePath(pool: PoolEntry[]): number {
  const coarsener = new WindowCoarsener(
    { windowSeconds: 10, minHits: 1, maxHits: 255, maxEids: 5000, nearDbm: -65, midDbm: -80 },
    { startMs: T0 },
  );
  let t = T0;
  let kept = 0;
  const feed = (count: number): void => {
    for (let i = 0; i < count; i++) {
      t += 0.1;
      const entry = pool[i & (POOL - 1)] as PoolEntry;
      const eid = optInEid(entry.view);
      if (eid !== null) {
        coarsener.add(eid, entry.rssi, t);
        kept++;
      }
      if ((i & 0xffff) === 0) coarsener.takeClosed();
    }
  };
  feed(WARMUP * 10);
  const run = timed(() => feed(CORE_REPORTS));
  if (kept === 0) throw new Error('the filter kept nothing');
  return CORE_REPORTS / run.seconds;
}

const pool = buildPool();
const noble = await noblePath(pool);
const floodPeakRssMb = process.resourceUsage().maxRSS / 1024;
const core = corePath(pool);
const baseline = await nobleBaseline(pool);
process.stdout.write(
  `${JSON.stringify({ advertsPerSecNoble: noble.rate, advertsPerSecCore: core, cpuSecondsPerMillion: noble.cpuPerMillion, floodPeakRssMb, advertsPerSecNobleBaseline: baseline, optInShare: noble.sightings / NOBLE_REPORTS })}\n`,
);
process.exit(0);
