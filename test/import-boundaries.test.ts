import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The import boundaries in eslint.config.js (docs/architecture.md), checked on code written for
 * the purpose at the paths it would live at: each forbidden import is reported with its rule's
 * message, and the allowed forms pass. (In a flat config the last matching block sets a rule's
 * options, so a narrow block that forgot a broad pattern would let it through: these cases
 * catch that.)
 */
const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['gateway/x.ts', "import { a } from '../hub/mod.ts';", /only hub\//],
    ['hub/offers/x.ts', "import { a } from '../../gateway/mod.ts';", /only gateway\//],
    ['hub/offers/x.ts', "import { a } from '../../hq/mod.ts';", /only hq\//],
    ['hq/x.ts', "import { a } from '../hub/mod.ts';", /only hub\//],
    ['shared/x.ts', "import { a } from '../hub/mod.ts';", /shared\/ imports none/],
    ['shared/privacy/x.ts', "import { a } from '../../gateway/mod.ts';", /shared\/ imports none/],
    ['hub/offers/x.ts', "import { a } from '../broker/gateway-registry.ts';", /only through its mod\.ts/],
    ['hub/offers/core/x.ts', "import { a } from '../../shoppers/shopper-store.ts';", /only through its mod\.ts/],
    ['hub/offers/x.ts', "import { a } from '../app.ts';", /composition root/],
    ['hub/offers/core/x.ts', "import { a } from '../../app.ts';", /composition root/],
    ['hub/events.ts', "import { a } from './app.ts';", /composition root/],
    ['scripts/sim/x.test.ts', "import { a } from '../../cli/commands/sim.ts';", /never import cli/],
    ['gateway/mod.ts', "export { a } from './app.ts';", /composition root/],
    ['gateway/ble/x.ts', "import { a } from '../app.ts';", /composition root/],
    ['hub/offers/core/x.ts', "import { readFileSync } from 'node:fs';", /core\/ code is pure/],
    ['hub/offers/core/x.ts', "import { a } from '../adapters/sqlite-offer-store.ts';", /no adapters/],
    ['shared/privacy/x.ts', "import { a } from 'better-sqlite3';", /core\/ code is pure/],
    ['hub/privacy/x.ts', "import { a } from '../../shared/testing/seeded-random.ts';", /seeded RandomSource/],
    ['hub/privacy/x.ts', "import { a } from '../../scripts/sim/generate.ts';", /scripts\/ are dev and ops tools/],
  ])('%s: %s is refused', async (file, code, message) => {
    const found = await problems(file, code);
    expect(found.length, `no boundary reported for ${code} in ${file}`).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(message);
  });

  it.each([
    ['hub/offers/x.ts', "import { a } from '../shoppers/mod.ts';"],
    ['hub/x.ts', "import { a } from './privacy/config.schema.ts';"],
    ['hub/offers/x.ts', "import { a } from './core/decide.ts';"],
    ['hub/main.ts', "import { createHub } from './app.ts';"],
    ['cli/commands/x.ts', "import { createHub } from '../../hub/app.ts';"],
    ['hub/offers/x.ts', "import { a } from '../../shared/privacy/rational.ts';"],
    ['hub/offers/x.test.ts', "import { a } from '../../shared/testing/seeded-random.ts';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
