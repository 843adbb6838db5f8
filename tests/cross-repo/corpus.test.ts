import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driftguardJudge } from '../../eval/contracts/driftguard-judge.ts';
import { corpusDir, formatScore, loadCorpus, score } from '../../eval/contracts/score.ts';

describe('the contract diff on the public corpus (eval/contracts)', () => {
  const pairs = loadCorpus();

  it('holds at least 80 labelled pairs, each with its files, its published verdict and its source', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(80);
    expect(pairs.filter((p) => p.breaking).length).toBeGreaterThan(20);
    expect(pairs.filter((p) => !p.breaking).length).toBeGreaterThan(20);
    for (const p of pairs) {
      expect(existsSync(join(corpusDir, p.base)), p.base).toBe(true);
      expect(existsSync(join(corpusDir, p.head)), p.head).toBe(true);
      expect(p.source.length, p.name).toBeGreaterThan(0);
      expect(p.source.every((s) => s.startsWith('https://github.com/oasdiff/oasdiff/blob/'))).toBe(true);
    }
    expect(readFileSync(join(corpusDir, 'oasdiff', 'LICENSE'), 'utf8')).toContain('Apache License');
    expect(readFileSync(join(corpusDir, 'NOTICE'), 'utf8')).toContain('oasdiff');
  });

  it('meets the targets: recall >= 0.9 and precision >= 0.95 on breaking changes', async () => {
    const result = await score('driftguard', driftguardJudge, pairs);
    console.log(formatScore(result));
    for (const m of result.misses) console.log(`  ${m.expected ? 'missed' : 'false alarm'}: ${m.name} ${JSON.stringify(m.got)}`);
    expect(result.errors).toBe(0);
    expect(result.recall).toBeGreaterThanOrEqual(0.9);
    expect(result.precision).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it('scores the second opinion (OpenAPITools/openapi-diff verdicts) without a target, and stays precise on it', async () => {
    const second = loadCorpus('corpus-openapitools.json');
    expect(second.length).toBeGreaterThanOrEqual(60);
    expect(readFileSync(join(corpusDir, 'openapitools', 'LICENSE'), 'utf8')).toContain('Apache License');
    const result = await score('driftguard', driftguardJudge, second);
    console.log(`second opinion: ${formatScore(result)}`);
    expect(result.errors).toBe(0);
    expect(result.precision).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
