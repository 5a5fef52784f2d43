import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Board, Button, Led } from 'johnny-five';
import type { Logger } from '../../shared/ports/logger.ts';
import { BLINK_MS, LED_NAMES, type LedMode, type LedName, type LedPattern } from '../core/led-state.ts';
import type { StatusLeds } from '../ports.ts';
import { NoHardwareGpioIo } from './no-hardware-gpio-io.ts';

/**
 * Status LEDs and the identify button through johnny-five. On a Raspberry Pi the raspi-io
 * plugin (an optional dependency, absent elsewhere) is loaded with a dynamic import; everywhere
 * else, or if it cannot load, the NoHardwareGpioIo. The Board never starts a REPL, never prints and
 * never installs a SIGINT handler (docs/references.md#dependencies).
 */

export interface LedPins {
  scanning: string;
  hubLink: string;
  buffering: string;
  fault: string;
  button: string;
}

export interface JohnnyFiveLedsOptions {
  /** `fake` is the older spelling of `none`. */
  io: 'auto' | 'raspi' | 'none' | 'fake';
  pins: LedPins;
  logger: Logger;
  /** Board ready timeout. */
  timeoutMs?: number;
}

const RASPI_IO = 'raspi-io';

type JohnnyFive = typeof import('johnny-five');

/**
 * Only the three johnny-five classes the gateway uses. The package's index requires all of its
 * ~50 component modules (servos, IMUs, LCDs, LED matrices...): about 1.5 MB of heap and 2 MB of
 * RSS on a gateway that drives four LEDs and a button. johnny-five 2.1 has no `exports` map,
 * so its lib/ files are requirable; they are the same classes the index re-exports.
 */
function loadJohnnyFive(): Pick<JohnnyFive, 'Board' | 'Led' | 'Button'> {
  const require = createRequire(import.meta.url);
  return {
    Board: require('johnny-five/lib/board') as JohnnyFive['Board'],
    Led: require('johnny-five/lib/led/led') as JohnnyFive['Led'],
    Button: require('johnny-five/lib/button') as JohnnyFive['Button'],
  };
}

export function isRaspberryPi(): boolean {
  try {
    return readFileSync('/proc/device-tree/model', 'utf8').includes('Raspberry Pi');
  } catch {
    return false;
  }
}

async function raspiIo(): Promise<unknown> {
  const module = (await import(RASPI_IO)) as {
    RaspiIO?: new (options: Record<string, unknown>) => unknown;
    default?: { RaspiIO?: new (options: Record<string, unknown>) => unknown };
  };
  const RaspiIO = module.RaspiIO ?? module.default?.RaspiIO;
  if (RaspiIO === undefined) throw new Error('raspi-io has no RaspiIO export');
  return new RaspiIO({ enableDefaultLed: false });
}

export class JohnnyFiveLeds implements StatusLeds {
  /** The IO plugin in use; a NoHardwareGpioIo off the Pi (tests read pin levels from it). */
  readonly io: unknown;
  readonly #leds: Record<LedName, Led>;
  readonly #button: Button;
  readonly #shown = new Map<LedName, LedMode>();
  #closed = false;

  private constructor(io: unknown, leds: Record<LedName, Led>, button: Button) {
    this.io = io;
    this.#leds = leds;
    this.#button = button;
  }

  static async open(options: JohnnyFiveLedsOptions): Promise<JohnnyFiveLeds> {
    const log = options.logger;
    let io: unknown;
    const wantRaspi = options.io === 'raspi' || (options.io === 'auto' && isRaspberryPi());
    if (wantRaspi) {
      try {
        io = await raspiIo();
      } catch (error) {
        log.warn(
          { code: (error as NodeJS.ErrnoException).code ?? 'error', detail: (error as Error).message },
          'led io unavailable, using the no-hardware io',
        );
      }
    }
    io ??= new NoHardwareGpioIo();
    const five = loadJohnnyFive();
    const boardOptions = { io, repl: false, debug: false, sigint: false, timeout: options.timeoutMs ?? 10_000 };
    const board = new five.Board(boardOptions);
    const events = board as unknown as NodeJS.EventEmitter;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the GPIO board did not become ready')),
        options.timeoutMs ?? 10_000,
      );
      events.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      events.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const led = (pin: string): Led => new five.Led({ pin, board } as { pin: string; board: Board });
    const leds: Record<LedName, Led> = {
      scanning: led(options.pins.scanning),
      hubLink: led(options.pins.hubLink),
      buffering: led(options.pins.buffering),
      fault: led(options.pins.fault),
    };
    const button = new five.Button({ pin: options.pins.button, board, isPullup: true });
    return new JohnnyFiveLeds(io, leds, button);
  }

  apply(pattern: LedPattern): void {
    if (this.#closed) return;
    const changed = LED_NAMES.filter((name) => this.#shown.get(name) !== pattern[name]);
    if (changed.length === 0) return;
    // Blinking LEDs restart together so that identify blinks all four in unison.
    const restartBlinkers = changed.some((name) => pattern[name].startsWith('blink'));
    for (const name of LED_NAMES) {
      const mode = pattern[name];
      if (!changed.includes(name) && !(restartBlinkers && mode.startsWith('blink'))) continue;
      const led = this.#leds[name];
      led.stop();
      if (mode === 'on') led.on();
      else if (mode === 'off') led.off();
      else led.blink(BLINK_MS[mode]);
      this.#shown.set(name, mode);
    }
  }

  onButton(handler: () => void): void {
    this.#button.on('press', handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const name of LED_NAMES) {
      const led = this.#leds[name];
      led.stop();
      led.off();
    }
  }
}
