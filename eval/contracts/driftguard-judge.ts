import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diffContract } from '../../modules/cross-repo/breaking.ts';
import { corpusDir, type Judge } from './score.ts';

/** DriftGuard's contract diff as a judge: breaking when any change has the level `breaking`. */
export const driftguardJudge: Judge = async (base, head) => {
  const reader = (path: string) => readFile(join(corpusDir, path), 'utf8').catch(() => undefined);
  const result = await diffContract(base.text, head.text, { file: head.path, readBase: reader, readHead: reader });
  if (!Array.isArray(result)) return { breaking: true, error: `${result.side}:${result.line}: ${result.error}` };
  const breaking = result.filter((c) => c.level === 'breaking');
  return { breaking: breaking.length > 0, ids: [...new Set(breaking.map((c) => c.id))] };
};
