/**
 * Child process for releases-crash.test.ts: opens the hub database, computes every due release
 * and syncs them to the collector — and kills itself with SIGKILL at the step named by
 * HUSHPOINT_CRASH_AT (after HUSHPOINT_CRASH_SKIP earlier passes of that step), as a power cut
 * or OOM kill would. Without HUSHPOINT_CRASH_AT it runs to the end (or until the parent kills it).
 *
 *   node --import tsx releases-crash-worker.ts <db> <nowMs> <firstWindowMs> <collectorUrl> <keyHex>
 */
import { openHubDatabase } from '../../hub/storage/sqlite-database.ts';
import { createHttpsSender } from '../../hub/privacy/adapters/https-sender.ts';
import { createReleaseService } from '../../hub/privacy/release-service.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { parseSigningKey } from '../../shared/upstream/signing.ts';
import { CRASH_PRIVACY, privacyConfig, upstreamConfig } from './releases-fixtures.ts';

const [dbFile, nowText, firstText, url, keyHex] = process.argv.slice(2);
if (
  dbFile === undefined ||
  nowText === undefined ||
  firstText === undefined ||
  url === undefined ||
  keyHex === undefined
) {
  process.stderr.write('usage: releases-crash-worker.ts <db> <nowMs> <firstWindowMs> <collectorUrl> <keyHex>\n');
  process.exit(64);
}
const crashAt = process.env.HUSHPOINT_CRASH_AT;
let skip = Number(process.env.HUSHPOINT_CRASH_SKIP ?? '0');
const now = Number(nowText);

const db = openHubDatabase(dbFile);
const service = createReleaseService({
  db,
  store: 'store-1',
  privacy: privacyConfig(CRASH_PRIVACY),
  upstream: upstreamConfig({ enabled: true, url, signingKeyFile: 'unused', batchSize: 7 }),
  visitGapSeconds: 300,
  clock: new FakeClock(now),
  random: new CryptoRandomSource(),
  logger: silentLogger(),
  sender: createHttpsSender({ url, store: 'store-1', key: parseSigningKey(keyHex, 'argv'), timeoutMs: 5000 }),
  firstWindowMs: Number(firstText),
  checkpoint: (step) => {
    if (step !== crashAt) return;
    if (skip-- > 0) return;
    process.kill(process.pid, 'SIGKILL');
  },
});

await service.runDue(now);
for (let i = 0; i < 50 && service.releases.outbox().pending > 0; i++) {
  const report = await service.syncUpstream(now);
  if (report.unavailable) break;
}
db.close();
process.stdout.write('done\n');
