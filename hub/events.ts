import type { Logger } from '../shared/ports/logger.ts';

/**
 * The hub's in-process events between features (docs/architecture.md): presence announces zone
 * entries and visit ends, shoppers announce erasure. A feature subscribes with `on`, and the hub
 * emits with `emit`; listeners run synchronously in subscription order, and one listener's
 * failure is logged and does not stop the others (a broken offers engine must not stop an
 * erasure reaching the presence model). The event payloads are defined here, so that features
 * depend on this contract and not on each other.
 */

export interface ZoneEnterEvent {
  shopperPk: number;
  shopperId: string;
  zone: string;
  previousZone: string | null;
  /** Unix seconds: the start of the first window placed in the zone. */
  at: number;
  visitStartedAt: number;
}

export interface VisitEndEvent {
  shopperPk: number;
  shopperId: string;
  startedAt: number;
  endedAt: number;
}

/** A shopper and everything derived from their identity key were deleted from the database. */
export interface ShopperErasedEvent {
  shopperPk: number;
  shopperId: string;
}

export interface HubEventMap {
  /** A shopper was placed in a zone (a visit's first zone, or a change of zone). */
  zoneEnter: ZoneEnterEvent;
  visitEnd: VisitEndEvent;
  /** After the rows are gone: drop any in-memory state held for the shopper. */
  shopperErased: ShopperErasedEvent;
}

export type HubEventName = keyof HubEventMap;

export interface HubEvents {
  on<K extends HubEventName>(name: K, listener: (event: HubEventMap[K]) => void): void;
  emit<K extends HubEventName>(name: K, event: HubEventMap[K]): void;
}

export function createHubEvents(logger: Logger): HubEvents {
  const listeners = new Map<HubEventName, Array<(event: never) => void>>();
  return {
    on(name, listener) {
      const list = listeners.get(name) ?? [];
      list.push(listener as (event: never) => void);
      listeners.set(name, list);
    },
    emit(name, event) {
      for (const listener of listeners.get(name) ?? []) {
        try {
          (listener as (event: HubEventMap[typeof name]) => void)(event);
        } catch (error) {
          logger.error({ err: error, event: name }, 'event listener failed');
        }
      }
    },
  };
}
