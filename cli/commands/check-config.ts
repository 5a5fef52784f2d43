import { ConfigError, readYamlFile, roleOf, validateConfig } from '../../shared/config/load-config.ts';
import type { Command } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';

export const checkConfigCommand: Command = {
  name: 'check-config',
  summary: 'validate a device config file (gateway, hub, ...) and list every problem',
  positionals: ['FILE'],
  description: `The role comes from the file's "role:" key. Each problem is printed as
"FILE: /json/pointer message". Exit code 0 when valid, 78 (EX_CONFIG) when not.`,
  async run({ positionals }, { io, path }) {
    const file = positionals[0];
    if (file === undefined) {
      io.err(`${path}: FILE is required: the YAML config file to check. See "${path} --help".`);
      return EXIT.USAGE;
    }
    let document: unknown;
    try {
      document = readYamlFile(file);
    } catch (error) {
      if (error instanceof ConfigError) {
        for (const line of error.lines) io.err(line);
        return EXIT.CONFIG;
      }
      throw error;
    }
    // Loaded here, not at the top: the `hushpoint` dispatcher imports this command, and the
    // role schemas pull in the hub's (node-cron, privacy, offers) — ~1.4 MB a gateway never needs.
    const { ROLES } = await import('../roles.ts');
    const roleName = roleOf(document);
    const role = roleName === undefined ? undefined : ROLES[roleName];
    if (role === undefined) {
      io.err(
        `${file}: /role ${roleName === undefined ? 'is required' : `is "${roleName}"`}, expected one of ${Object.keys(
          ROLES,
        )
          .map((r) => `"${r}"`)
          .join(', ')}`,
      );
      return EXIT.CONFIG;
    }
    const result = validateConfig(role, document);
    if (!result.ok) {
      for (const problem of result.problems) io.err(`${file}: ${problem.path || '/'} ${problem.message}`);
      return EXIT.CONFIG;
    }
    io.out(`${file}: valid ${role.role} config`);
    return EXIT.OK;
  },
};
