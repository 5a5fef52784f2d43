import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewayRole } from '../gateway/config.schema.ts';
import { hubRole } from '../hub/config.schema.ts';
import { ConfigError, loadConfig } from '../shared/config/load-config.ts';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hp-cfg-'));
  const file = join(dir, 'device.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('fills defaults from the schema, freezes the result and resolves paths beside the file', () => {
    const file = write(
      'role: gateway\nstore: s1\ngateway: g1\nzone: z1\nhub: { url: "mqtt://127.0.0.1:1883", credentialFile: cred }\n',
    );
    const loaded = loadConfig(gatewayRole, file);
    expect(loaded.config.window).toMatchObject({ seconds: 10, maxEids: 5000, minHits: 1 });
    expect(loaded.config.outbox.maxInFlight).toBe(20);
    expect(Object.isFrozen(loaded.config.window)).toBe(true);
    expect(loaded.resolvePath('cred')).toBe(join(file, '..', 'cred'));
    expect(loaded.resolvePath('/etc/x')).toBe('/etc/x');
  });

  it('reports every problem, including semantic ones, as FILE: /pointer message', () => {
    const file = write(
      'role: gateway\nstore: s1\ngateway: g1\nzone: z1\nhub: { url: "mqtts://hub:8883", credentialFile: cred }\nwindow: { nearDbm: -90, midDbm: -70 }\n',
    );
    try {
      loadConfig(gatewayRole, file);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).lines).toEqual([
        `${file}: /window/midDbm is -70, expected at most nearDbm (-90)`,
        `${file}: /hub/caFile is required with an mqtts:// hub URL (the store CA certificate)`,
      ]);
      expect((error as ConfigError).code).toBe('CFG_INVALID');
    }
  });

  it('reports YAML syntax errors with a line number', () => {
    const file = write('role: hub\nstore: [unclosed\n');
    expect(() => loadConfig(hubRole, file)).toThrow(/is not valid YAML: .*line \d+/);
  });

  it('refuses an alias to a missing anchor and an alias bomb as unreadable YAML (found by the config fuzz target)', () => {
    for (const text of [
      'role: hub\nstore: *missing\n',
      `role: hub\na: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ).join('\n')}\n`,
    ]) {
      const file = write(text);
      try {
        loadConfig(hubRole, file);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).code).toBe('CFG_UNREADABLE');
        expect((error as ConfigError).lines[0]).toMatch(/is not valid YAML: /);
      }
    }
  });

  it('rejects a hub with no listener', () => {
    const file = write('role: hub\nstore: s1\n');
    expect(() => loadConfig(hubRole, file)).toThrow(/\/broker has no listener/);
  });
});
