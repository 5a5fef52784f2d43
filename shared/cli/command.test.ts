import { describe, expect, it } from 'vitest';
import { runCommand, type Command } from './command.ts';

describe('a command with its own --version option', () => {
  it('reads the value itself instead of printing the package version', async () => {
    const seen: string[] = [];
    const out: string[] = [];
    const command: Command = {
      name: 'pack',
      summary: 'test',
      options: { version: { type: 'string', value: 'V', description: 'the version to pack' } },
      run: ({ values }) => {
        seen.push(String(values.version));
        return 0;
      },
    };
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    expect(await runCommand(command, ['--version', '9.9.9'], { io, path: 'pack' })).toBe(0);
    expect(seen).toEqual(['9.9.9']);
    expect(out).toEqual([]);
    await runCommand(command, ['--help'], { io, path: 'pack' });
    expect(out.join('\n')).toMatch(/--version V {2}the version to pack/);
    expect(out.join('\n')).not.toMatch(/print the version/);
  });
});
