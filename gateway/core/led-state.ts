/**
 * What the four status LEDs show (docs/gateway.md has the technicians' table). Pure: the LED
 * adapter applies the pattern, this decides it.
 *
 *   scanning   on: scanning and hearing adverts · slow blink: scanning but silent (watchdog acting) · off: not scanning
 *   hub link   on: connected to the hub · fast blink: connecting / retrying
 *   buffering  on: holding windows while the hub is unreachable · slow blink: catching up a backlog · off: nothing waiting
 *   fault      on: adapter not working, windows dropped in the last hour, or the clock off by more than 30 s
 *   identify   all four blink fast together
 */

export type LedMode = 'off' | 'on' | 'blink-slow' | 'blink-fast';
export const LED_NAMES = ['scanning', 'hubLink', 'buffering', 'fault'] as const;
export type LedName = (typeof LED_NAMES)[number];
export type LedPattern = Record<LedName, LedMode>;

export const BLINK_MS: Record<'blink-slow' | 'blink-fast', number> = { 'blink-slow': 1000, 'blink-fast': 200 };
export const CLOCK_FAULT_MS = 30_000;
export const DROP_FAULT_MS = 3_600_000;

export interface LedInputs {
  nowMs: number;
  scanning: boolean;
  /** The watchdog saw no advert for its silence period and is acting. */
  bleSilent: boolean;
  adapterOk: boolean;
  hubConnected: boolean;
  outboxDepth: number;
  maxInFlight: number;
  /** When the outbox last dropped windows (age or size bound), or null. */
  lastOutboxDropMs: number | null;
  clockOffsetMs: number | null;
  identifyUntilMs: number;
}

export type Fault = 'adapter' | 'outbox-dropped' | 'clock-offset';

export function activeFaults(inputs: LedInputs): Fault[] {
  const faults: Fault[] = [];
  if (!inputs.adapterOk) faults.push('adapter');
  if (inputs.lastOutboxDropMs !== null && inputs.nowMs - inputs.lastOutboxDropMs < DROP_FAULT_MS)
    faults.push('outbox-dropped');
  if (inputs.clockOffsetMs !== null && Math.abs(inputs.clockOffsetMs) > CLOCK_FAULT_MS) faults.push('clock-offset');
  return faults;
}

export function ledPattern(inputs: LedInputs): LedPattern {
  if (inputs.nowMs < inputs.identifyUntilMs) {
    return { scanning: 'blink-fast', hubLink: 'blink-fast', buffering: 'blink-fast', fault: 'blink-fast' };
  }
  let buffering: LedMode = 'off';
  if (!inputs.hubConnected && inputs.outboxDepth > 0) buffering = 'on';
  else if (inputs.hubConnected && inputs.outboxDepth > inputs.maxInFlight) buffering = 'blink-slow';
  return {
    scanning: inputs.scanning ? (inputs.bleSilent ? 'blink-slow' : 'on') : 'off',
    hubLink: inputs.hubConnected ? 'on' : 'blink-fast',
    buffering,
    fault: activeFaults(inputs).length > 0 ? 'on' : 'off',
  };
}
