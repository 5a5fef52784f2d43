import type { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { ANDROID_MODE_INTERVAL_MS, type AdvertiserKind } from './device-classes.ts';
import { planVisit, type MovementModel, type Visit } from './movement.ts';
import { Sampler } from './sampler.ts';

/**
 * Who comes into the store and what they carry. Each arriving shopper opts in with
 * `optInFraction`; opted-in shoppers split into Android app, iOS app in the foreground, iOS app
 * in the background (enrolled, but by design not detectable: iOS moves a background app's
 * service UUID into Apple's overflow area, so no EID is on air) and loyalty-tag carriers.
 * Everyone else, and everything else people carry (phones' own OS traffic, earbuds, watches,
 * trackers), is noise the gateways must drop.
 *
 * Identity keys are SIMULATED: drawn from the seeded source so a seed reproduces the store.
 * They are test data, never keys for a real shopper.
 */

export type ShopperKind = 'android' | 'ios-foreground' | 'ios-background' | 'tag' | 'not-opted-in';

export const OPTED_IN_KINDS: readonly ShopperKind[] = ['android', 'ios-foreground', 'ios-background', 'tag'];

/** Kinds whose identifier is on air: the ones truth.jsonl lists. */
export function isDetectable(kind: ShopperKind): boolean {
  return kind === 'android' || kind === 'ios-foreground' || kind === 'tag';
}

export type Carrier = 'eddystone' | 'ios' | null;

export function carrierOf(kind: ShopperKind): Carrier {
  return kind === 'android' || kind === 'tag' ? 'eddystone' : kind === 'ios-foreground' ? 'ios' : null;
}

export interface ShopperMix {
  optInFraction: number;
  optedIn: { android: number; iosForeground: number; iosBackground: number; tag: number };
  androidModes: { lowLatency: number; balanced: number; lowPower: number };
  iphoneShare: number;
  phoneShare: number;
  earbudsShare: number;
  watchShare: number;
  trackerShare: number;
  exponent: number;
  tagIntervalMs: number;
  tagClockSkewSeconds: number;
}

export interface AdvertiserPlan {
  kind: AdvertiserKind;
  /** The interval chosen for this device where the class leaves a choice (Android modes, tags). */
  intervalMs?: number;
}

/** One physical radio carried by a shopper: its advertisers share position, power and channel. */
export interface DevicePlan {
  device: 'phone' | 'tag' | 'earbuds' | 'watch' | 'tracker';
  advertisers: AdvertiserPlan[];
}

export interface ShopperPlan {
  /** 0-based arrival order among everyone who came in. */
  person: number;
  kind: ShopperKind;
  /** "shopper-00001", … for opted-in shoppers (in arrival order), else null. */
  shopperId: string | null;
  identityKey: Uint8Array | null;
  exponent: number;
  /** Seconds the shopper's EID counter is off from true Unix time (loyalty tags keep their own clock). */
  clockSkewSeconds: number;
  visit: Visit;
  devices: DevicePlan[];
  /** The shopper's own stream for device behaviour (timing, addresses, radio). */
  rng: SeededRandomSource;
}

/** Plans everyone arriving at the given absolute times (ms), in order. */
export function planShoppers(
  arrivalsMs: readonly number[],
  mix: ShopperMix,
  model: MovementModel,
  root: SeededRandomSource,
): ShopperPlan[] {
  const plans: ShopperPlan[] = [];
  let optedInCount = 0;
  arrivalsMs.forEach((arriveMs, person) => {
    const personRng = root.fork(`person-${person}`);
    const pick = new Sampler(personRng.fork('mix'));
    const visit = planVisit(model, arriveMs, new Sampler(personRng.fork('visit')));
    const keyRng = personRng.fork('identity-key');
    const rng = personRng.fork('devices');

    const optedIn = pick.chance(mix.optInFraction);
    const o = mix.optedIn;
    const kind: ShopperKind = optedIn
      ? (OPTED_IN_KINDS[pick.weighted([o.android, o.iosForeground, o.iosBackground, o.tag])] ?? 'android')
      : 'not-opted-in';
    const devices: DevicePlan[] = [];
    let apple: boolean;
    if (kind === 'android') {
      const m = mix.androidModes;
      const mode =
        (['lowLatency', 'balanced', 'lowPower'] as const)[pick.weighted([m.lowLatency, m.balanced, m.lowPower])] ??
        'lowPower';
      devices.push({
        device: 'phone',
        advertisers: [{ kind: 'android-app', intervalMs: ANDROID_MODE_INTERVAL_MS[mode] }, { kind: 'google-nearby' }],
      });
      apple = false;
    } else if (kind === 'ios-foreground' || kind === 'ios-background') {
      devices.push({
        device: 'phone',
        advertisers: [
          { kind: kind === 'ios-foreground' ? 'ios-app-foreground' : 'ios-app-background' },
          { kind: 'apple-nearby' },
        ],
      });
      apple = true;
    } else {
      apple = pick.chance(mix.iphoneShare);
      if (pick.chance(mix.phoneShare))
        devices.push({ device: 'phone', advertisers: [{ kind: apple ? 'apple-nearby' : 'google-nearby' }] });
    }
    if (kind === 'tag')
      devices.push({ device: 'tag', advertisers: [{ kind: 'loyalty-tag', intervalMs: mix.tagIntervalMs }] });
    if (pick.chance(mix.earbudsShare))
      devices.push({ device: 'earbuds', advertisers: [{ kind: apple ? 'airpods' : 'galaxy-buds' }] });
    if (pick.chance(mix.watchShare))
      devices.push({ device: 'watch', advertisers: [{ kind: apple ? 'apple-watch' : 'named-watch' }] });
    if (pick.chance(mix.trackerShare)) devices.push({ device: 'tracker', advertisers: [{ kind: 'fmdn-tracker' }] });

    let identityKey: Uint8Array | null = null;
    let shopperId: string | null = null;
    if (optedIn) {
      identityKey = new Uint8Array(16);
      keyRng.fillBytes(identityKey);
      optedInCount += 1;
      shopperId = `shopper-${String(optedInCount).padStart(5, '0')}`;
    }
    const clockSkewSeconds =
      kind === 'tag' ? Math.round(pick.uniform(-mix.tagClockSkewSeconds, mix.tagClockSkewSeconds)) : 0;
    plans.push({ person, kind, shopperId, identityKey, exponent: mix.exponent, clockSkewSeconds, visit, devices, rng });
  });
  return plans;
}
