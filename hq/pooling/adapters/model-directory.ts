import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../shared/recommend/adapters/model-file.ts';

/**
 * HQ's published models (models.dir in hq.yaml): one signed file per version, "<version>.model",
 * written atomically and never changed — a version names one exact file, which the hubs verify.
 */
export interface ModelDirectory {
  readonly dir: string;
  versions(): number[];
  latest(): { version: number; text: string } | null;
  read(version: number): string | null;
  write(version: number, text: string): void;
}

const FILE = /^(\d{1,15})\.model$/;

export function createModelDirectory(dir: string): ModelDirectory {
  const pathOf = (version: number): string => join(dir, `${version}.model`);
  const versions = (): number[] =>
    existsSync(dir)
      ? readdirSync(dir)
          .flatMap((name) => {
            const m = FILE.exec(name);
            return m === null ? [] : [Number(m[1])];
          })
          .sort((a, b) => a - b)
      : [];
  const read = (version: number): string | null =>
    Number.isSafeInteger(version) && version >= 1 && existsSync(pathOf(version))
      ? readFileSync(pathOf(version), 'utf8')
      : null;
  return {
    dir,
    versions,
    read,
    latest() {
      const version = versions().at(-1);
      if (version === undefined) return null;
      const text = read(version);
      return text === null ? null : { version, text };
    },
    write(version, text) {
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(pathOf(version), text);
    },
  };
}
