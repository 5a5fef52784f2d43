import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/ports/logger.ts';
import { NoHardwareGpioIo } from './no-hardware-gpio-io.ts';
import { JohnnyFiveLeds } from './johnny-five-leds.ts';
import { holdsFor, waitFor } from '../testing/harness.ts';

const PINS = { scanning: 'GPIO17', hubLink: 'GPIO27', buffering: 'GPIO22', fault: 'GPIO23', button: 'GPIO24' };
const opened: JohnnyFiveLeds[] = [];
afterEach(async () => {
  for (const leds of opened.splice(0)) await leds.close();
});

async function open(): Promise<{ leds: JohnnyFiveLeds; io: NoHardwareGpioIo }> {
  const leds = await JohnnyFiveLeds.open({ io: 'none', pins: PINS, logger: silentLogger() });
  opened.push(leds);
  expect(leds.io).toBeInstanceOf(NoHardwareGpioIo);
  return { leds, io: leds.io as NoHardwareGpioIo };
}

describe('status LEDs through johnny-five on the no-hardware IO', () => {
  it('drives each LED pin from the pattern and blinks while asked to', async () => {
    const { leds, io } = await open();
    leds.apply({ scanning: 'on', hubLink: 'off', buffering: 'on', fault: 'off' });
    expect([io.level('GPIO17'), io.level('GPIO27'), io.level('GPIO22'), io.level('GPIO23')]).toEqual([1, 0, 1, 0]);
    leds.apply({ scanning: 'on', hubLink: 'blink-fast', buffering: 'off', fault: 'off' });
    const seen = new Set<number>();
    await waitFor(() => seen.add(io.level('GPIO27')).size === 2, 'the hub-link LED to blink', 5000);
    expect(seen).toEqual(new Set([0, 1]));
    expect(io.level('GPIO22')).toBe(0);
    await leds.close();
    const writes = io.writes;
    await holdsFor(() => io.writes === writes, 'no LED write after close', 300);
    expect(io.writes).toBe(writes);
    expect([io.level('GPIO17'), io.level('GPIO27')]).toEqual([0, 0]);
  });

  it('reports presses of the identify button, and two boards in one process stay independent', async () => {
    const a = await open();
    const b = await open();
    let presses = 0;
    a.leds.onButton(() => presses++);
    a.leds.apply({ scanning: 'on', hubLink: 'on', buffering: 'on', fault: 'on' });
    expect(b.io.level('GPIO17')).toBe(0);
    await a.io.pressButton('GPIO24');
    await waitFor(() => presses > 0, 'the button press', 5000);
    expect(presses).toBe(1);
  });

  it('rejects a pin name it does not know, saying what it expected', () => {
    expect(() => new NoHardwareGpioIo().normalize('P1-11')).toThrow(
      'pin "P1-11" is not a GPIO pin, expected GPIO0..GPIO27 (BCM numbering)',
    );
  });
});
