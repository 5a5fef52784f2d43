import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, loadConfig, type RoleSchema } from '../../shared/config/load-config.ts';
import { isAppError } from '../../shared/errors.ts';
import { gatewayRole } from '../../gateway/config.schema.ts';
import { hubRole } from '../../hub/config.schema.ts';
import { hqRole } from '../../hq/config.schema.ts';
import { FuzzReport, fuzzParameters, fuzzSeed, jsonInputs } from './fuzz-harness.ts';

/**
 * Fuzz target: the config files of the three programs. Each case is written to a real file and
 * loaded as the program loads it. Invariant: a config either loads, or is refused with a
 * ConfigError whose every line names the file, a field path and what was expected — never
 * another exception, never a crash in the semantic checks.
 */

const dir = mkdtempSync(join(tmpdir(), 'hp-fuzz-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALID: Record<string, unknown> = {
  gateway: {
    role: 'gateway',
    store: 'store-1',
    gateway: 'gw-1',
    zone: 'produce',
    hub: { url: 'mqtts://hub.local:8883', caFile: 'ca.pem', credentialFile: 'credential' },
  },
  hub: {
    role: 'hub',
    store: 'store-1',
    broker: { tls: { host: '0.0.0.0', port: 8883, certFile: 'hub-cert.pem', keyFile: 'hub-key.pem' } },
    privacy: { timeZone: 'Europe/Berlin', budget: { period: 'month', periodRho: 0.5 } },
    upstream: { enabled: true, url: 'https://hq.example/v1/releases', signingKeyFile: 'key' },
  },
  hq: { role: 'hq', stores: [{ id: 'store-1', signingKeyFile: 'store-1.key' }] },
};

function target(name: string, role: RoleSchema<unknown>) {
  return async () => {
    const seed = fuzzSeed();
    const report = new FuzzReport(`config-${name}`, seed);
    const valid = fc.constant(VALID[name]);
    const asYaml = fc.oneof(
      jsonInputs(valid).map((i) => ({ kind: `json-${i.kind}`, text: i.bytes })),
      jsonInputs(valid).map((i) => {
        let doc: unknown;
        try {
          doc = JSON.parse(i.bytes.toString('utf8'));
        } catch {
          return { kind: `yaml-${i.kind}`, text: i.bytes };
        }
        return { kind: `yaml-${i.kind}`, text: Buffer.from(stringify(doc)) };
      }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(asYaml, async (input) => {
        const file = join(dir, `${name}-${n++}.yaml`);
        writeFileSync(file, input.text);
        try {
          loadConfig(role, file);
          report.count('loaded');
        } catch (error) {
          expect(
            isAppError(error) && error instanceof ConfigError,
            `only ConfigError (${input.kind}): ${String(error)}`,
          ).toBe(true);
          const lines = (error as ConfigError).lines;
          expect(lines.length).toBeGreaterThan(0);
          for (const line of lines) expect(line.startsWith(`${file}: `), line).toBe(true);
          report.count((error as ConfigError).code);
        }
        rmSync(file);
      }),
      fuzzParameters(seed),
    );
    report.write();
  };
}

describe('fuzz: config files', () => {
  it('gateway.yaml', target('gateway', gatewayRole as RoleSchema<unknown>), 120_000);
  it('hub.yaml', target('hub', hubRole as RoleSchema<unknown>), 120_000);
  it('hq.yaml', target('hq', hqRole as RoleSchema<unknown>), 120_000);
});
