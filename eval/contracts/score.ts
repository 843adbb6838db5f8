import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One before/after pair and the verdict its source published for it. */
export interface Pair {
  name: string;
  base: string;
  head: string;
  /** Whether the source classifies the change as breaking (oasdiff: at least one ERR-level check). */
  breaking: boolean;
  published: Array<{ id: string; level: string | null }>;
  source: string[];
}

/** A tool's answer on one pair: breaking or not, or an error (counted as flagging the pair). */
export type Verdict = { breaking: boolean; ids?: string[]; error?: string };
export type Judge = (base: { path: string; text: string }, head: { path: string; text: string }) => Promise<Verdict>;

export interface Score {
  tool: string;
  pairs: number;
  positives: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  errors: number;
  recall: number;
  precision: number;
  ms: number;
  /** Recall and precision over the pairs the tool could read (no error). */
  readable: { pairs: number; recall: number; precision: number };
  misses: Array<{ name: string; expected: boolean; got: Verdict }>;
}

/** The corpus folder: this file's own, unless bundled elsewhere (then DRIFTGUARD_CONTRACTS_CORPUS). */
export const corpusDir = process.env.DRIFTGUARD_CONTRACTS_CORPUS ?? dirname(fileURLToPath(import.meta.url));

/**
 * `corpus.json`: oasdiff's pairs, the scored corpus with the CI targets. `corpus-openapitools.json`:
 * OpenAPITools/openapi-diff's pairs, a second opinion whose verdicts often disagree with oasdiff's
 * (it calls a removed parameter or a changed format incompatible), reported next to it.
 */
export function loadCorpus(file = 'corpus.json', dir = corpusDir): Pair[] {
  return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { pairs: Pair[] }).pairs;
}

/** Recall and precision on breaking changes, pair by pair. An error on a pair counts as flagging it. */
export async function score(tool: string, judge: Judge, pairs = loadCorpus(), dir = corpusDir): Promise<Score> {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let errors = 0;
  const clean = { tp: 0, fp: 0, positives: 0, pairs: 0 };
  const misses: Score['misses'] = [];
  const started = process.hrtime.bigint();
  for (const pair of pairs) {
    const read = (p: string) => ({ path: relative(dir, join(dir, p)), text: readFileSync(join(dir, p), 'utf8') });
    let got: Verdict;
    try {
      got = await judge(read(pair.base), read(pair.head));
    } catch (err) {
      got = { breaking: true, error: (err as Error).message };
    }
    if (got.error) errors++;
    const flagged = got.breaking || got.error !== undefined;
    if (flagged && pair.breaking) tp++;
    else if (flagged) fp++;
    else if (pair.breaking) fn++;
    if (!got.error) {
      clean.pairs++;
      if (pair.breaking) clean.positives++;
      if (got.breaking && pair.breaking) clean.tp++;
      else if (got.breaking) clean.fp++;
    }
    if (flagged !== pair.breaking) misses.push({ name: pair.name, expected: pair.breaking, got });
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const positives = pairs.filter((p) => p.breaking).length;
  return { tool, pairs: pairs.length, positives, truePositives: tp, falsePositives: fp, falseNegatives: fn, errors, recall: positives ? tp / positives : 1, precision: tp + fp ? tp / (tp + fp) : 1, ms, readable: { pairs: clean.pairs, recall: clean.positives ? clean.tp / clean.positives : 1, precision: clean.tp + clean.fp ? clean.tp / (clean.tp + clean.fp) : 1 }, misses };
}

export const formatScore = (s: Score) =>
  `${s.tool.padEnd(14)} recall ${s.recall.toFixed(3)} (${s.truePositives}/${s.positives})  precision ${s.precision.toFixed(3)} (${s.truePositives}/${s.truePositives + s.falsePositives})  errors ${s.errors} (counted as flagged)  ${s.ms.toFixed(0)} ms for ${s.pairs} pairs${s.errors ? `; on the ${s.readable.pairs} pairs it read: recall ${s.readable.recall.toFixed(3)}, precision ${s.readable.precision.toFixed(3)}` : ''}`;
