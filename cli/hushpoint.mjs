#!/usr/bin/env node
// Launcher for the `hushpoint` command. In a development checkout (tsx installed) it runs the
// TypeScript sources directly; on a Pi, where the release is installed with `npm ci --omit=dev`
// after `npm run build`, it runs the compiled JavaScript in dist/.
process.env.HUSHPOINT_CLI_ENTRY = '1';
const tsx = await import('tsx/esm/api').catch(() => null);
if (tsx !== null) {
  tsx.register();
  await import('./main.ts');
} else {
  await import('../dist/cli/main.js');
}
