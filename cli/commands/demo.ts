import type { Command } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';

/**
 * `hushpoint demo` — the one-command tour. It runs what exists and says plainly what does not
 * exist yet, rather than pretending.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the whole system on this machine with a simulated store',
  run(_args, { io }) {
    io.out(`hushpoint demo

What exists today:
  - the wire protocol and its validators (shared/protocol)
  - Eddystone-EID and its two advertisement carriers:
      npx hushpoint eid --identity-key 0102030405060708090a111213141516 --exponent 10 --counter 0
  - device configuration checking:
      npx hushpoint check-config test/fixtures/config/gateway.valid.yaml

Not built yet, so the demo cannot run them: the gateway, the store simulator, the hub, the
privacy releases, offers and provisioning. The demo will start them all once they exist.`);
    return EXIT.OK;
  },
};
