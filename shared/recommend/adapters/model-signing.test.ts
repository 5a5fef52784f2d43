import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import { buildItemModel } from '../core/model.ts';
import { modelDocument, type ModelDocument } from '../core/model-format.ts';
import { rational } from '../../privacy/rational.ts';
import { GRANULARITY } from '../core/statistics.ts';
import { readSignedModel, writeSignedModel } from './model-file.ts';
import {
  generateModelKeyPair,
  openSignedModel,
  parsePrivateKey,
  parsePublicKey,
  signModelBody,
} from './model-signing.ts';
import { ModelStore } from './model-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'hp-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = buildItemModel(
  {
    supports: [
      {
        metric: 'itemSupport',
        layout: 'cells',
        items: ['10001', '10002'],
        values: Float64Array.from([5, 3]),
        granularity: GRANULARITY,
        variance: rational(4n),
        stores: 1,
        rhoPerStore: [],
      },
    ],
  },
  { shrinkage: 3 },
);
const doc = (version: number): ModelDocument =>
  modelDocument(model, {
    version,
    modelId: `m-v${version}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    period: { label: '2026-Q1', start: '2026-01-01 00:00', end: '2026-04-01 00:00' },
    privacy: { unit: 'shopper-period', rho: '1/40', epsilon: 1, delta: 1e-6, rounds: [] },
    parameters: {},
    provenance: { stores: 1, storeIds: ['s'], releaseIds: [], source: 'test', tool: 'vitest' },
  });

const hq = generateModelKeyPair();
const other = generateModelKeyPair();
const hqPrivate = parsePrivateKey(hq.privatePem, 'hq key');
const hqPublic = parsePublicKey(hq.publicPem, 'hq pub');

describe('signed models', () => {
  it("verify with the signer's public key and round-trip through a file", () => {
    const path = join(dir, 'model.json');
    writeSignedModel(path, doc(1), hqPrivate);
    expect(readSignedModel(path, hqPublic).document.modelId).toBe('m-v1');
  });

  it('refuse a tampered body, a swapped signature and another key, each with a clear error', () => {
    const text = signModelBody(JSON.stringify(doc(1)), hqPrivate);
    const envelope = JSON.parse(text) as { body: string; signature: string };
    const tampered = JSON.stringify({ ...envelope, body: envelope.body.replace('"blend":0', '"blend":1') });
    expect(tampered).not.toBe(text);
    expect(() => openSignedModel(tampered, hqPublic, 'received model')).toThrow(
      /received model does not verify with key [0-9a-f]{16}: its body or signature was changed after signing; refusing it/,
    );
    const forged = signModelBody(JSON.stringify(doc(1)), parsePrivateKey(other.privatePem, 'other'));
    try {
      openSignedModel(forged, hqPublic, 'received model');
      throw new Error('no error');
    } catch (error) {
      expect(isAppError(error, 'RECO_MODEL_SIGNATURE')).toBe(true);
      expect((error as Error).message).toContain(
        `is signed by key "${other.keyId}", expected the trusted key ${hq.keyId}`,
      );
    }
    expect(() => parsePublicKey('not a key', 'pub.pem')).toThrow('pub.pem is not a public key in PEM');
  });
});

describe('ModelStore (a hub keeps the last good model)', () => {
  it('installs newer versions only, keeps the previous one, and refuses bad models without changing anything', () => {
    const store = new ModelStore(join(dir, 'hub'), hqPublic);
    expect(store.current()).toBeNull();
    store.install(signModelBody(JSON.stringify(doc(2)), hqPrivate));
    expect(store.current()?.document.version).toBe(2);
    expect(() => store.install(signModelBody(JSON.stringify(doc(2)), hqPrivate))).toThrow(
      'received model is version 2, expected a version above the installed 2 (m-v2); keeping the installed model',
    );
    const bad = signModelBody(JSON.stringify(doc(5)), parsePrivateKey(other.privatePem, 'other'));
    expect(() => store.install(bad)).toThrow(/is signed by key/);
    expect(store.current()?.document.version).toBe(2);
    store.install(signModelBody(JSON.stringify(doc(3)), hqPrivate));
    expect(store.current()?.document.version).toBe(3);
    expect(JSON.parse(JSON.parse(readFileSync(join(dir, 'hub', 'previous.model'), 'utf8')).body).version).toBe(2);
    // A fresh process reads (and verifies) what is on disk.
    expect(new ModelStore(join(dir, 'hub'), hqPublic).current()?.document.version).toBe(3);
    writeFileSync(join(dir, 'hub', 'current.model'), 'garbage');
    expect(() => new ModelStore(join(dir, 'hub'), hqPublic).current()).toThrow(/is not a signed model/);
  });
});
