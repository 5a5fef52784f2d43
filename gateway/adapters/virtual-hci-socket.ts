import { EventEmitter } from 'node:events';

/**
 * A stand-in for @abandonware/bluetooth-hci-socket: it answers the HCI commands noble sends at
 * start-up (as a Bluetooth 5 controller would) so noble reaches `poweredOn`, and it hands HCI
 * events to noble exactly as the kernel socket would, so injected LE Advertising Reports run
 * through noble's real parser. Adverts are delivered only while the "controller" is scanning,
 * like a real controller. Used by the replay and injected BLE sources and by the benchmark.
 */

const HCI_COMMAND_PKT = 0x01;
const HCI_EVENT_PKT = 0x04;
const EVT_CMD_COMPLETE = 0x0e;

const ogfOcf = (ogf: number, ocf: number): number => ocf | (ogf << 10);
const RESET = ogfOcf(0x03, 0x0003);
const READ_LE_HOST_SUPPORTED = ogfOcf(0x03, 0x006c);
const READ_LOCAL_VERSION = ogfOcf(0x04, 0x0001);
const READ_BUFFER_SIZE = ogfOcf(0x04, 0x0005);
const READ_BD_ADDR = ogfOcf(0x04, 0x0009);
const LE_READ_BUFFER_SIZE = ogfOcf(0x08, 0x0002);
const LE_SET_SCAN_ENABLE = ogfOcf(0x08, 0x000c);
const LE_SET_EXTENDED_SCAN_ENABLE = ogfOcf(0x08, 0x0042);

/** Command Complete return parameters after the status byte. */
function resultFor(opcode: number): Buffer {
  switch (opcode) {
    case READ_LOCAL_VERSION:
      // HCI version 9 (Bluetooth 5.0), revision, LMP version, manufacturer 0xffff, LMP subversion.
      return Buffer.from([0x09, 0x00, 0x00, 0x09, 0xff, 0xff, 0x00, 0x00]);
    case READ_LE_HOST_SUPPORTED:
      return Buffer.from([0x01, 0x00]);
    case LE_READ_BUFFER_SIZE:
      return Buffer.from([0xfb, 0x00, 0x08]);
    case READ_BUFFER_SIZE:
      return Buffer.from([0xfd, 0x03, 0x40, 0x08, 0x00, 0x00, 0x00]);
    case READ_BD_ADDR:
      return Buffer.alloc(6);
    default:
      return Buffer.alloc(0);
  }
}

export interface VirtualHciDevice {
  devId: number;
  devUp: boolean;
  idVendor: null;
  idProduct: null;
  busNumber: null;
  deviceAddress: null;
}

export class VirtualHciSocket extends EventEmitter {
  #scanning = false;
  #closed = false;
  #commands = 0;

  /** True while noble has scanning enabled. */
  get scanning(): boolean {
    return this.#scanning;
  }

  /** HCI commands noble has sent (for tests of resets and rescans). */
  get commandsReceived(): number {
    return this.#commands;
  }

  bindRaw(devId?: number): number {
    return devId ?? 0;
  }

  bindUser(devId?: number): number {
    return devId ?? 0;
  }

  bindControl(): void {}

  getDeviceList(): VirtualHciDevice[] {
    return [{ devId: 0, devUp: true, idVendor: null, idProduct: null, busNumber: null, deviceAddress: null }];
  }

  isDevUp(): boolean {
    return !this.#closed;
  }

  setFilter(_filter: Buffer): void {}

  start(): void {}

  stop(): void {}

  /** noble writes an HCI command; answer with Command Complete (status 0) on the next tick. */
  write(packet: Buffer): void {
    if (this.#closed || packet.length < 4 || packet[0] !== HCI_COMMAND_PKT) return;
    this.#commands++;
    const opcode = packet.readUInt16LE(1);
    if (opcode === LE_SET_SCAN_ENABLE || opcode === LE_SET_EXTENDED_SCAN_ENABLE) this.#scanning = packet[4] === 0x01;
    if (opcode === RESET) this.#scanning = false;
    const result = resultFor(opcode);
    const event = Buffer.alloc(7 + result.length);
    event[0] = HCI_EVENT_PKT;
    event[1] = EVT_CMD_COMPLETE;
    event[2] = 4 + result.length;
    event[3] = 0x01; // Num_HCI_Command_Packets
    event.writeUInt16LE(opcode, 4);
    event[6] = 0x00; // status: success
    result.copy(event, 7);
    process.nextTick(() => {
      if (!this.#closed) this.emit('data', event);
    });
  }

  /** Hands one HCI event packet to noble, as the controller would; false while not scanning. */
  deliver(hciEvent: Buffer): boolean {
    if (this.#closed || !this.#scanning) return false;
    this.emit('data', hciEvent);
    return true;
  }

  /** After this the socket answers nothing and delivers nothing. */
  close(): void {
    this.#closed = true;
    this.#scanning = false;
  }
}
