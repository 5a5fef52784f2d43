import type { RoleSchema } from '../shared/config/load-config.ts';
import { gatewayRole } from '../gateway/config.schema.ts';
import { hubRole } from '../hub/config.schema.ts';
import { hqRole } from '../hq/config.schema.ts';

/** Every device role with a config file, by its `role:` key (for check-config and doctor). */
export const ROLES: Record<string, RoleSchema<unknown>> = {
  gateway: gatewayRole as RoleSchema<unknown>,
  hub: hubRole as RoleSchema<unknown>,
  hq: hqRole as RoleSchema<unknown>,
  /** The older spelling of `hq`. */
  collector: hqRole as RoleSchema<unknown>,
};
