import { fileURLToPath } from 'node:url';
import { intOption, numberOption, type Command } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';

const DEFAULT_STORE = fileURLToPath(new URL('../../scripts/stores/fashion-small.yaml', import.meta.url));

/** `hushpoint demo` (= `npm run demo`): the whole system on this machine, with a simulated store. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the whole system on this machine with a simulated store',
  description: `Provisions a temporary store, starts the hub, the store's gateways fed live by the simulator
(noble's real parser, TLS, durable outboxes), a simulated shopper app that enrolls shoppers,
declares preferences and receives offers, and a local HQ collector. After the walk the store
"closes": the day's DP releases are computed and sent upstream. Ends with a summary; leaves
nothing running (unless --keep-running) and removes its temporary files.`,
  options: {
    minutes: { type: 'string', value: 'M', description: 'store minutes to simulate (1..660)', default: '60' },
    speed: { type: 'string', value: 'X', description: 'store seconds per wall second (1..600)', default: '30' },
    store: {
      type: 'string',
      value: 'FILE',
      description: 'store description (YAML)',
      default: 'scripts/stores/fashion-small.yaml',
    },
    seed: { type: 'string', value: 'S', description: 'simulator seed (same seed, same shoppers)', default: 'demo' },
    'keep-running': {
      type: 'boolean',
      description: 'keep the hub and its status page up after the summary, until Ctrl-C',
    },
    json: { type: 'boolean', description: 'print the summary as one JSON object on stdout (progress on stderr)' },
    'save-zones': {
      type: 'string',
      value: 'DIR',
      description: "keep the hub's sightings and the truth in DIR/<seed>/ (scripts/zone-accuracy.ts --from DIR)",
    },
  },
  async run({ values }, { io }) {
    const minutes = intOption(values, 'minutes', { min: 1, max: 660 });
    const speed = numberOption(values, 'speed', { min: 1, max: 600 });
    const storeFile = values.store === 'scripts/stores/fashion-small.yaml' ? DEFAULT_STORE : String(values.store);
    const json = values.json === true;
    const progress = (line: string): void => (json ? io.err(line) : io.out(line));
    const { runDemo } = await import('../../scripts/demo/run-demo.ts');
    const { formatSummary } = await import('../../scripts/demo/summary.ts');
    const keepRunning = values['keep-running'] === true;
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    const summary = await runDemo({
      storeFile,
      minutes,
      speed,
      seed: String(values.seed),
      keepRunning,
      progress,
      untilStopped: () => stopped,
      ...(typeof values['save-zones'] === 'string' ? { saveZones: values['save-zones'] } : {}),
    });
    const { keepRunning: wait, ...printable } = summary;
    io.out(json ? JSON.stringify(printable) : formatSummary(summary));
    if (wait) {
      await wait();
      progress('stopping');
    }
    return EXIT.OK;
  },
};
