/** The gateway's status LEDs and identify button (docs/gateway.md has the technicians' table). */
export { createStatusLights, type StatusLights, type StatusLightsDeps } from './status-lights.ts';
