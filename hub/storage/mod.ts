/** The hub's SQLite database, its numbered migrations and the persisted counters (docs/hub.md). */
export { openHubDatabase, type Database } from './sqlite-database.ts';
export { migrate, loadMigrations, schemaVersion, migrationsDir } from './migrations.ts';
export { Counters, readCounters, COUNTER_NAMES, type CounterName } from './counters.ts';
