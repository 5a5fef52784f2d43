import { ConfigError, loadConfig, validateConfig, type LoadedConfig } from '../../shared/config/load-config.ts';
import type { Problem } from '../../shared/validation.ts';
import { storeRole, type StoreConfig } from './store-schema.ts';

/**
 * Reads and validates a store description (YAML). Every problem is reported as
 * `FILE: /json/pointer message`, like device configuration (ConfigError, exit 78).
 */
export function loadStore(file: string): LoadedConfig<StoreConfig> {
  return loadConfig(storeRole, file);
}

/** Validates an already parsed store document (tests and tools that build stores in code). */
export function parseStore(document: unknown, label = '<store>'): StoreConfig {
  const result = validateConfig(storeRole, document);
  if (!result.ok) throw new ConfigError(label, result.problems as Problem[]);
  return result.config;
}
