import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { AppError } from '../../errors.ts';
import { parseModelDocument, type ModelDocument } from '../core/model-format.ts';
import type { ItemModel } from '../core/model.ts';
import { writeFileAtomic } from './model-file.ts';
import { openSignedModel } from './model-signing.ts';

/**
 * A hub's model folder: it keeps the last good model. `install` verifies the signature with HQ's
 * public key, parses the body, and accepts it only if its version is above the installed one
 * (a replayed or rolled-back model is refused); then it replaces current.model atomically and keeps
 * the one before as previous.model. A refused model changes nothing.
 */
export interface InstalledModel {
  readonly model: ItemModel;
  readonly document: ModelDocument;
}

export class ModelStore {
  readonly #dir: string;
  readonly #publicKey: KeyObject;
  #current: InstalledModel | null | undefined;

  constructor(dir: string, publicKey: KeyObject) {
    this.#dir = dir;
    this.#publicKey = publicKey;
  }

  get currentPath(): string {
    return join(this.#dir, 'current.model');
  }

  /** The installed model (verified again when first read), or null. */
  current(): InstalledModel | null {
    if (this.#current !== undefined) return this.#current;
    // A crash between install's two renames leaves only previous.model: it is the last good one.
    const path = existsSync(this.currentPath) ? this.currentPath : join(this.#dir, 'previous.model');
    this.#current = existsSync(path) ? this.#open(readFileSync(path, 'utf8'), `Installed model "${path}"`) : null;
    return this.#current;
  }

  #open(text: string, source: string): InstalledModel {
    const body = openSignedModel(text, this.#publicKey, source);
    return parseModelDocument(body, source);
  }

  /** Verifies and installs a signed model (file text as received); throws and changes nothing if refused. */
  install(text: string, source = 'received model'): InstalledModel {
    const candidate = this.#open(text, source);
    const current = this.current();
    if (current !== null && candidate.document.version <= current.document.version) {
      throw new AppError(
        'RECO_MODEL_INVALID',
        `${source} is version ${candidate.document.version}, expected a version above the installed ${current.document.version} (${current.document.modelId}); keeping the installed model`,
      );
    }
    mkdirSync(this.#dir, { recursive: true });
    const incoming = join(this.#dir, 'incoming.model');
    writeFileAtomic(incoming, text);
    if (existsSync(this.currentPath)) renameSync(this.currentPath, join(this.#dir, 'previous.model'));
    renameSync(incoming, this.currentPath);
    this.#current = candidate;
    return candidate;
  }
}
