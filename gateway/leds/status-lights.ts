import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { GatewayConfig } from '../config.schema.ts';
import { ledPattern, type LedInputs } from '../core/led-state.ts';
import { JohnnyFiveLeds } from '../adapters/johnny-five-leds.ts';
import type { StatusLeds } from '../ports.ts';

/** How long the identify button makes all four LEDs blink. */
const BUTTON_IDENTIFY_MS = 10_000;

/**
 * The four status LEDs and the identify button (the pattern is gateway/core/led-state.ts; the
 * technicians' table is in docs/gateway.md). Without LEDs (none configured, or the GPIO cannot
 * be opened: logged once) everything here is a no-op except `inputs`, which the status command
 * also reports as faults.
 */
export interface StatusLights {
  /** Opens the given LEDs, or johnny-five with `leds.io` from the config when none are given. */
  open(given: StatusLeds | null | undefined, config: GatewayConfig): Promise<void>;
  readonly present: boolean;
  /** The identify button: blink for 10 s, log, then `pressed`. */
  onButton(pressed: () => void): void;
  /** Shows the pattern for now (not while the gateway is stopping). */
  update(): void;
  /** All four LEDs blink fast until `untilMs`. */
  identify(untilMs: number): void;
  inputs(): LedInputs;
  close(): Promise<void>;
}

export interface StatusLightsDeps {
  clock: Clock;
  logger: Logger;
  stopping: () => boolean;
  /** The gateway's state the pattern shows, apart from the time and the identify blink. */
  state: () => Omit<LedInputs, 'nowMs' | 'identifyUntilMs'>;
}

export function createStatusLights(deps: StatusLightsDeps): StatusLights {
  const { clock, logger: log } = deps;
  let leds: StatusLeds | null = null;
  let identifyUntilMs = 0;

  const inputs = (): LedInputs => ({ ...deps.state(), nowMs: clock.now(), identifyUntilMs });
  function update(): void {
    if (leds !== null && !deps.stopping()) leds.apply(ledPattern(inputs()));
  }

  return {
    async open(given, config) {
      leds =
        given !== undefined
          ? given
          : await JohnnyFiveLeds.open({
              io: config.leds.io,
              pins: config.leds,
              logger: log.child({ component: 'leds' }),
            }).catch((error: unknown) => {
              log.warn({ detail: (error as Error).message }, 'status leds unavailable');
              return null;
            });
    },
    get present() {
      return leds !== null;
    },
    onButton(pressed) {
      leds?.onButton(() => {
        identifyUntilMs = clock.now() + BUTTON_IDENTIFY_MS;
        log.info({}, 'identify button pressed');
        update();
        pressed();
      });
    },
    update,
    identify(untilMs) {
      identifyUntilMs = untilMs;
      update();
    },
    inputs,
    async close() {
      await leds?.close();
    },
  };
}
