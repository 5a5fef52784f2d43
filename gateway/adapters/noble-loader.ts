import type { EventEmitter } from 'node:events';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { VirtualHciSocket } from './virtual-hci-socket.ts';

/**
 * Loads @abandonware/noble (1.9.2-26) two ways:
 *
 * - `loadSystemNoble(adapterIndex)`: the real HCI socket. Lazy, because noble opens the socket
 *   as soon as it is constructed and throws (EAFNOSUPPORT) on a machine without Bluetooth.
 * - `loadVirtualHciNoble()`: noble's own modules bound to a VirtualHciSocket. hci.js does
 *   `new BluetoothHciSocket()` per instance, so private copies of hci.js and bindings.js are
 *   loaded once with the socket module replaced in require.cache (the previous cache entries
 *   are restored afterwards, so a real noble loaded later still gets the real socket). Every
 *   call returns an independent noble with its own virtual socket: six gateways in one process
 *   each parse their own adverts.
 *
 * Both remove the SIGINT/exit handlers noble installs (noble's SIGINT handler exits the process
 * when it is the last listener, which would cut our graceful shutdown short).
 */

export interface NobleAdvertisement {
  serviceData: Array<{ uuid: string; data: Buffer }>;
  serviceUuids: string[];
}

export interface NoblePeripheral {
  uuid: string;
  address: string;
  connectable: boolean;
  rssi: number;
  advertisement: NobleAdvertisement;
}

/** The parts of noble's internals the scanner touches (pinned noble version, see above). */
export interface HciInternals extends EventEmitter {
  _socket: unknown;
  pollIsDevUp(): void;
}

export interface BindingsInternals extends EventEmitter {
  _hci: HciInternals;
  _gap: { _discoveries: Record<string, object> };
  _addresses: Record<string, unknown>;
  _addresseTypes: Record<string, unknown>;
  _connectable: Record<string, unknown>;
  scannable: Record<string, unknown>;
}

export interface NobleInstance extends EventEmitter {
  readonly state: string;
  startScanning(serviceUuids: string[], allowDuplicates: boolean, callback: (error: Error | null) => void): void;
  stopScanning(callback?: () => void): void;
  reset(): void;
  _bindings: BindingsInternals;
  _peripherals: Record<string, unknown>;
  _services: Record<string, unknown>;
  _characteristics: Record<string, unknown>;
  _descriptors: Record<string, unknown>;
  _discoveredPeripheralUUids: Record<string, unknown>;
}

export interface LoadedNoble {
  noble: NobleInstance;
  bindings: BindingsInternals;
  hci: HciInternals;
  /** Present when noble runs on the virtual socket. */
  virtualSocket?: VirtualHciSocket;
}

type NobleConstructor = new (bindings: BindingsInternals) => NobleInstance;
type BindingsConstructor = new (options: Record<string, unknown>) => BindingsInternals;

const require = createRequire(import.meta.url);

function noblePaths(): { noble: string; hci: string; bindings: string; socket: string; withCustomBinding: string } {
  const root = dirname(require.resolve('@abandonware/noble/package.json'));
  const hci = join(root, 'lib', 'hci-socket', 'hci.js');
  return {
    noble: join(root, 'lib', 'noble.js'),
    hci,
    bindings: join(root, 'lib', 'hci-socket', 'bindings.js'),
    socket: createRequire(hci).resolve('@abandonware/bluetooth-hci-socket'),
    withCustomBinding: join(root, 'with-custom-binding.js'),
  };
}

let virtualBound: { Noble: NobleConstructor; Bindings: BindingsConstructor } | undefined;

function virtualBoundModules(): { Noble: NobleConstructor; Bindings: BindingsConstructor } {
  if (virtualBound !== undefined) return virtualBound;
  const paths = noblePaths();
  const ids = [paths.socket, paths.hci, paths.bindings];
  const saved = ids.map((id) => require.cache[id]);
  try {
    for (const id of ids) delete require.cache[id];
    const fake = new Module(paths.socket);
    fake.filename = paths.socket;
    fake.loaded = true;
    fake.exports = VirtualHciSocket;
    require.cache[paths.socket] = fake;
    virtualBound = {
      Bindings: require(paths.bindings) as BindingsConstructor,
      Noble: require(paths.noble) as NobleConstructor,
    };
    return virtualBound;
  } finally {
    ids.forEach((id, i) => {
      const previous = saved[i];
      if (previous === undefined) delete require.cache[id];
      else require.cache[id] = previous;
    });
  }
}

/** Runs noble's bindings.init() now and removes the process handlers it adds. */
function initWithoutProcessHandlers(noble: NobleInstance): void {
  const sigint = new Set(process.listeners('SIGINT'));
  const exit = new Set(process.listeners('exit'));
  try {
    void noble.state; // noble initialises its bindings on the first read of `state`
  } finally {
    for (const listener of process.listeners('SIGINT'))
      if (!sigint.has(listener)) process.removeListener('SIGINT', listener);
    for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.removeListener('exit', listener);
  }
}

export function loadVirtualHciNoble(): LoadedNoble {
  const { Noble, Bindings } = virtualBoundModules();
  const bindings = new Bindings({});
  const hci = bindings._hci;
  // noble polls "is the device up?" every second forever; the fake device is always up, so
  // poll once (noble then sends its init commands) and let the follow-up timer end the loop.
  const poll = Object.getPrototypeOf(hci).pollIsDevUp as (this: HciInternals) => void;
  let polled = false;
  hci.pollIsDevUp = function pollOnce(this: HciInternals): void {
    if (polled) return;
    polled = true;
    poll.call(this);
  };
  const noble = new Noble(bindings);
  initWithoutProcessHandlers(noble);
  return { noble, bindings, hci, virtualSocket: hci._socket as VirtualHciSocket };
}

/** The real adapter hci{adapterIndex}; throws BLE_ADAPTER_UNAVAILABLE where there is none. */
export function loadSystemNoble(adapterIndex: number): LoadedNoble {
  try {
    const create = require(noblePaths().withCustomBinding) as (options: Record<string, unknown>) => NobleInstance;
    const noble = create({ deviceId: adapterIndex });
    initWithoutProcessHandlers(noble);
    return { noble, bindings: noble._bindings, hci: noble._bindings._hci };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new AppError(
      'BLE_ADAPTER_UNAVAILABLE',
      `Bluetooth adapter hci${adapterIndex} could not be opened (${e.code ?? 'error'}: ${e.message}); expected a Linux Bluetooth adapter and the cap_net_raw/cap_net_admin capabilities, or ble.source "replay:FILE" for a recorded trace`,
      { cause: error, details: { adapterIndex } },
    );
  }
}
