import { EventEmitter } from 'node:events';

/**
 * A johnny-five IO plugin with no hardware behind it: 28 digital pins named like raspi-io's
 * (`GPIO17` or 17). It keeps each pin's mode and level so tests can read what the LEDs show,
 * and can simulate presses of the identify button. Used everywhere except on a Raspberry Pi.
 */

const MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 } as const;
const PIN_COUNT = 28;

interface PinState {
  supportedModes: number[];
  mode: number;
  value: number;
  report: number;
  analogChannel: number;
}

export class NoHardwareGpioIo extends EventEmitter {
  readonly name = 'hushpoint-fake-io';
  readonly isReady = true;
  readonly MODES = MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly defaultLed = 0;
  readonly analogPins: number[] = [];
  readonly pins: PinState[] = Array.from({ length: PIN_COUNT }, () => ({
    supportedModes: [MODES.INPUT, MODES.OUTPUT],
    mode: MODES.OUTPUT,
    value: 0,
    report: 0,
    analogChannel: 127,
  }));
  readonly #readers = new Map<number, Array<(value: number) => void>>();
  #writes = 0;

  normalize(pin: string | number): number {
    const match = typeof pin === 'number' ? null : /^(?:GPIO)?(\d{1,2})$/i.exec(pin);
    const n = typeof pin === 'number' ? pin : match ? Number(match[1]) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n >= PIN_COUNT) {
      throw new RangeError(
        `pin ${JSON.stringify(pin)} is not a GPIO pin, expected GPIO0..GPIO${PIN_COUNT - 1} (BCM numbering)`,
      );
    }
    return n;
  }

  pinMode(pin: string | number, mode: number): this {
    this.#pin(pin).mode = mode;
    return this;
  }

  digitalWrite(pin: string | number, value: number): this {
    this.#pin(pin).value = value ? 1 : 0;
    this.#writes++;
    return this;
  }

  analogWrite(pin: string | number, value: number): this {
    this.#pin(pin).value = value;
    this.#writes++;
    return this;
  }

  pwmWrite(pin: string | number, value: number): this {
    return this.analogWrite(pin, value);
  }

  digitalRead(pin: string | number, handler: (value: number) => void): this {
    const n = this.normalize(pin);
    const list = this.#readers.get(n) ?? [];
    list.push(handler);
    this.#readers.set(n, list);
    return this;
  }

  /** The level last written to a pin (tests). */
  level(pin: string | number): number {
    return this.#pin(pin).value;
  }

  /** Total writes (tests: a blinking LED keeps writing). */
  get writes(): number {
    return this.#writes;
  }

  /** Simulates a press of the button on `pin`, held for `holdMs` (pull-up: pressed reads low). */
  async pressButton(pin: string | number, holdMs = 30): Promise<void> {
    this.#input(pin, 0);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    this.#input(pin, 1);
  }

  #input(pin: string | number, value: number): void {
    const n = this.normalize(pin);
    this.#pin(n).value = value;
    for (const handler of this.#readers.get(n) ?? []) handler(value);
  }

  #pin(pin: string | number): PinState {
    return this.pins[this.normalize(pin)] as PinState;
  }
}
