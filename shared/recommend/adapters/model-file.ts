import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { AppError } from '../../errors.ts';
import { parseModelDocument, type ModelDocument } from '../core/model-format.ts';
import type { ItemModel } from '../core/model.ts';
import { openSignedModel, signModelBody } from './model-signing.ts';

/** Writes a file atomically: a temporary sibling, then rename (never a half-written file). */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { mode });
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new AppError('RECO_BAD_INPUT', `Cannot write "${path}": ${(error as Error).message}`, { cause: error });
  }
}

export function writeSignedModel(path: string, document: ModelDocument, privateKey: KeyObject): void {
  writeFileAtomic(path, signModelBody(JSON.stringify(document), privateKey));
}

/** Reads, verifies and parses a signed model file. */
export function readSignedModel(path: string, publicKey: KeyObject): { model: ItemModel; document: ModelDocument } {
  if (!existsSync(path)) throw new AppError('RECO_MODEL_INVALID', `Model file "${path}" does not exist`);
  const body = openSignedModel(readFileSync(path, 'utf8'), publicKey, `Model file "${path}"`);
  return parseModelDocument(body, `Model file "${path}"`);
}
