/**
 * The gateway's windowing and outbox (docs/gateway.md): opt-in sightings become coarse windows
 * (EID, RSSI band, hit count), and each closed window one numbered PresenceBatch in the SQLite
 * outbox, bounded by age and size, which the hub link drains.
 */
export { createWindowStore, type WindowStore, type WindowStoreDeps } from './window-store.ts';
export { createOutboxHolder, type OutboxHolder, type OutboxHolderDeps } from './outbox-holder.ts';
