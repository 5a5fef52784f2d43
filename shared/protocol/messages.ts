import type { Static } from '@sinclair/typebox';
import type {
  Band as BandSchema,
  Command as CommandSchema,
  CommandReply as CommandReplySchema,
  GatewayStatus as GatewayStatusSchema,
  HubClock as HubClockSchema,
  PresenceBatch as PresenceBatchSchema,
  Sighting as SightingSchema,
} from './schemas.ts';

/** Payload types, derived from the schemas (one source for both). */
export type Band = Static<typeof BandSchema>;
export type Sighting = Static<typeof SightingSchema>;
export type PresenceBatch = Static<typeof PresenceBatchSchema>;
export type GatewayStatus = Static<typeof GatewayStatusSchema>;
export type GatewayCommand = Static<typeof CommandSchema>;
export type CommandReply = Static<typeof CommandReplySchema>;
export type HubClock = Static<typeof HubClockSchema>;
