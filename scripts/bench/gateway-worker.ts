import { checkConfigCommand } from '../../cli/commands/check-config.ts';
import { eidCommand } from '../../cli/commands/eid.ts';
import { gatewayCommand } from '../../cli/commands/gateway.ts';
import { createGateway, createInjectedHciSource } from '../../gateway/mod.ts';
import { loadVirtualHciNoble, type NobleAdvertisement } from '../../gateway/adapters/noble-loader.ts';
import { optInEid, type AdvertisementView } from '../../gateway/core/opt-in-filter.ts';
import { WindowCoarsener } from '../../gateway/core/window-coarsener.ts';
import { gatewayWorkspace } from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { AD_TYPES, encodeEddystoneAdvert, encodeIosAdvert } from '../../shared/eid/carriers.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';

/**
 * One run of the gateway benchmark, in a plain Node process (scripts/bench/gateway.ts compiles
 * this file with the release and runs it without the tsx loader, the way the compiled release
 * runs on a Pi). Prints one JSON line with the run's figures.
 *
 * The process loads what `hushpoint gateway` loads: the dispatcher's eagerly imported commands
 * (check-config, eid) and the gateway command with gateway/main.ts, besides the gateway itself.
 *
 * The air: 800 advertisers — 500 opted-in Android phones (Eddystone-EID, non-connectable),
 * 60 iPhones in the foreground (hushpoint UUID, connectable) and 240 other devices (iBeacons,
 * Apple continuity, named devices). Timestamps advance 1 ms per report, so a 10 s window closes
 * every 10,000 reports.
 */

const POOL = 4096;
const NOBLE_REPORTS = 300_000;
const CORE_REPORTS = 3_000_000;
const WARMUP = 30_000;
const T0 = 1_790_000_000_000;

interface PoolEntry {
  hci: Buffer;
  view: AdvertisementView;
  rssi: number;
}

function buildPool(): PoolEntry[] {
  const rng = new SeededRandomSource('gateway-bench');
  const hex = (bytes: number): string => {
    const b = new Uint8Array(bytes);
    rng.fillBytes(b);
    return Buffer.from(b).toString('hex');
  };
  const address = (): string => `c0:${hex(5).match(/../g)?.join(':')}`;
  const devices: Array<{ address: string; eventType: number; data: Buffer; view: AdvertisementView }> = [];
  for (let i = 0; i < 500; i++) {
    const data = encodeEddystoneAdvert(hex(8));
    devices.push({
      address: address(),
      eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
      data,
      view: { serviceData: [{ uuid: 'feaa', data: data.subarray(11) }], serviceUuids: ['feaa'] },
    });
  }
  for (let i = 0; i < 60; i++) {
    const eid = hex(8);
    devices.push({
      address: address(),
      eventType: ADV_EVENT_TYPES.ADV_IND,
      data: encodeIosAdvert(eid),
      view: { serviceData: [], serviceUuids: [`5b1e8f6a2c7d4e93${eid}`] },
    });
  }
  for (let i = 0; i < 240; i++) {
    const kind = i % 3;
    const data =
      kind === 0
        ? Buffer.from(`0201061aff4c000215${hex(16)}00070001c5`, 'hex')
        : kind === 1
          ? Buffer.from(`0201060bff4c001005${hex(6)}`, 'hex')
          : Buffer.concat([
              Buffer.from([0x02, AD_TYPES.FLAGS, 0x06, 0x0b, AD_TYPES.COMPLETE_LOCAL_NAME]),
              Buffer.from(`device-${hex(1)}`),
            ]);
    devices.push({
      address: address(),
      eventType: kind === 0 ? ADV_EVENT_TYPES.ADV_NONCONN_IND : ADV_EVENT_TYPES.ADV_IND,
      data,
      view: { serviceData: [], serviceUuids: [] },
    });
  }
  return Array.from({ length: POOL }, () => {
    const device = devices[rng.nextUint32() % devices.length] as (typeof devices)[number];
    const rssi = -45 - (rng.nextUint32() % 50);
    return {
      hci: encodeAdvertisingReport({
        eventType: device.eventType,
        addressType: 'random',
        address: device.address,
        data: device.data,
        rssi,
      }),
      view: device.view,
      rssi,
    };
  });
}

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

/** A Pi's onboard adapter delivers at most ~6,500 reports/s over its 3 Mbaud UART (docs/references.md#measured-performance-anchors-2-cores-node-20). */
const PI_UART_REPORTS_PER_SEC = 6500;
/** Seconds at the UART ceiling; long enough for V8's first full GCs (about 44 s with the service flags). */
const PACED_SECONDS = Number(process.env.HUSHPOINT_BENCH_PACED_SECONDS ?? 60);

/**
 * The whole gateway (createGateway) with an injected source: noble's parser, the filter, the
 * window, the outbox. First PACED_SECONDS (default 60: V8 runs its first full GC after ~45 s) at
 * the Pi's UART ceiling (the peak RSS a Pi sees),
 * then as fast as possible (throughput and CPU).
 */
async function noblePath(
  pool: PoolEntry[],
): Promise<{ rate: number; cpuPerMillion: number; sightings: number; pacedPeakRssMb: number; floodPeakRssMb: number }> {
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
  const slice = PI_UART_REPORTS_PER_SEC / 100;
  for (let tick = 0; tick < PACED_SECONDS * 100; tick++) {
    feed(slice);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const pacedPeakRssMb = process.resourceUsage().maxRSS / 1024;
  feed(WARMUP);
  const before = gateway.stats().optInAdverts;
  const run = timed(() => feed(NOBLE_REPORTS));
  const sightings = gateway.stats().optInAdverts - before;
  const floodPeakRssMb = process.resourceUsage().maxRSS / 1024;
  await gateway.stop();
  ws.remove();
  return {
    rate: NOBLE_REPORTS / run.seconds,
    cpuPerMillion: (run.cpuSeconds / NOBLE_REPORTS) * 1e6,
    sightings,
    pacedPeakRssMb,
    floodPeakRssMb,
  };
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

// The modules `hushpoint gateway` has loaded by the time the gateway runs (cli/main.ts imports
// check-config and eid eagerly, and gateway/main.ts through the gateway command).
if ([checkConfigCommand, eidCommand, gatewayCommand].some((command) => typeof command.run !== 'function'))
  throw new Error('a CLI command did not load');

const pool = buildPool();
const noble = await noblePath(pool);
const core = corePath(pool);
const baseline = await nobleBaseline(pool);
process.stdout.write(
  `${JSON.stringify({ advertsPerSecNoble: noble.rate, advertsPerSecCore: core, cpuSecondsPerMillion: noble.cpuPerMillion, peakRssMb: noble.pacedPeakRssMb, floodPeakRssMb: noble.floodPeakRssMb, advertsPerSecNobleBaseline: baseline, optInShare: noble.sightings / NOBLE_REPORTS })}\n`,
);
process.exit(0);
