import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { loadConfig } from '../../shared/config/load-config.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { issueServerCertificate } from '../../shared/tls/certificates.ts';
import { hubRole } from '../../hub/mod.ts';
import { createHub, type Hub } from '../../hub/app.ts';
import { createHq, hqRole, type Hq } from '../../hq/mod.ts';
import { addGatewayToStore, initStore } from '../../provisioning/mod.ts';
import { calibratedBands } from '../sim/calibration.ts';
import type { StoreConfig } from '../sim/store-schema.ts';
import { demoCatalog } from './catalog.ts';

/**
 * The demo's store, set up as a technician would: the provisioned store folder (CA, hub
 * certificate, hub.yaml, tokens, keys, one bundle per gateway with calibrated bands), a local HQ
 * with its own certificate from the store CA, and the hub with the demo's catalog and the HQ as
 * its upstream.
 */

export interface DemoPorts {
  mqtt: number;
  api: number;
  hq: number;
}

export type InitResult = Awaited<ReturnType<typeof initStore>>;

/** Reads a YAML file, applies `edit` to its document (keeping comments) and writes it back. */
function editYaml(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, doc.toString(), { mode: 0o600 });
}

/** `hushpoint provision init` and `add-gateway` for every gateway of the store. */
export async function provisionDemoStore(store: StoreConfig, storeDir: string, ports: DemoPorts): Promise<InitResult> {
  const init = await initStore({
    store: store.store,
    out: storeDir,
    hostnames: ['localhost'],
    ips: ['127.0.0.1'],
    mqttPort: ports.mqtt,
    apiPort: ports.api,
  });
  for (const g of store.gateways) {
    await addGatewayToStore({ storeDir, gateway: g.id, zone: g.zone, hubUrl: `mqtts://localhost:${ports.mqtt}` });
    // Calibration (docs/field-guide.md): band thresholds follow each receiver's gain, measured
    // on site with a reference tag; the simulator knows each gateway's offset exactly.
    const bands = calibratedBands(g);
    editYaml(join(storeDir, 'gateways', g.id, 'gateway.yaml'), (doc) => {
      doc.setIn(['window', 'nearDbm'], bands.nearDbm);
      doc.setIn(['window', 'midDbm'], bands.midDbm);
    });
  }
  return init;
}

/** The local HQ on `port`, with a certificate from the store CA, trusting the store's signing key. */
export async function startDemoHq(options: {
  dir: string;
  storeDir: string;
  store: string;
  port: number;
  clock: Clock;
  logger: Logger;
}): Promise<Hq> {
  const { dir, storeDir } = options;
  const caPem = readFileSync(join(storeDir, 'ca.pem'), 'utf8');
  const cert = issueServerCertificate(
    { certPem: caPem, keyPem: readFileSync(join(storeDir, 'ca-key.pem'), 'utf8') },
    { hostnames: ['localhost'], ips: ['127.0.0.1'] },
  );
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'collector-cert.pem'), cert.certPem);
  writeFileSync(join(dir, 'collector-key.pem'), cert.keyPem, { mode: 0o600 });
  writeFileSync(
    join(dir, 'collector.yaml'),
    stringify({
      role: 'hq',
      database: 'hq.db',
      listen: { host: '127.0.0.1', port: options.port, certFile: 'collector-cert.pem', keyFile: 'collector-key.pem' },
      stores: [{ id: options.store, signingKeyFile: join(storeDir, 'upstream-signing.key') }],
      log: { level: 'warn' },
    }),
  );
  const loaded = loadConfig(hqRole, join(dir, 'collector.yaml'));
  const hq = createHq({
    config: loaded.config,
    resolvePath: loaded.resolvePath,
    clock: options.clock,
    logger: options.logger,
  });
  await hq.start();
  return hq;
}

/** The hub from the provisioned hub.yaml, plus the demo's catalog and the HQ upstream. */
export async function startDemoHub(options: {
  init: InitResult;
  storeDir: string;
  store: StoreConfig;
  hqPort: number;
  startMs: number;
  clock: Clock;
  logger: Logger;
}): Promise<Hub> {
  writeFileSync(join(options.storeDir, 'catalog.yaml'), stringify(demoCatalog(options.store, options.startMs)));
  editYaml(options.init.hubConfig, (doc) => {
    doc.setIn(['upstream', 'enabled'], true);
    doc.setIn(['upstream', 'url'], `https://localhost:${options.hqPort}/v1/releases`);
    doc.setIn(['upstream', 'caFile'], 'ca.pem');
    doc.setIn(['offers', 'catalogFile'], 'catalog.yaml');
    // A demo hour holds several visits per shopper; let more than one offer through.
    doc.setIn(['offers', 'caps', 'perDay'], 4);
    doc.setIn(['offers', 'caps', 'minGapSeconds'], 600);
  });
  const loaded = loadConfig(hubRole, options.init.hubConfig);
  const hub = createHub({
    config: loaded.config,
    resolvePath: loaded.resolvePath,
    clock: options.clock,
    logger: options.logger,
  });
  await hub.start();
  return hub;
}
