import { describe, expect, it } from 'vitest';
import { COMMANDS } from './main.ts';

describe('command list', () => {
  it('each lazy entry loads the command it names, with the same summary', async () => {
    for (const entry of COMMANDS) {
      if (!('load' in entry)) continue;
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
    }
  });
});
