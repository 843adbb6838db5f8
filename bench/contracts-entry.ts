// The contract diff against Atlassian's openapi-diff on the eval/contracts corpus, in one process:
// both tools judge every pair, recall and precision on breaking changes, and the time each took.
import openapiDiff from 'openapi-diff';
import { driftguardJudge } from '../eval/contracts/driftguard-judge.ts';
import { formatScore, loadCorpus, score, type Judge } from '../eval/contracts/score.ts';

const openapiDiffJudge: Judge = async (base, head) => {
  const spec = (s: { path: string; text: string }) => ({ content: s.text, location: s.path, format: (/^\s*["']?swagger["']?\s*:/m.test(s.text) ? 'swagger2' : 'openapi3') as 'swagger2' | 'openapi3' });
  try {
    const outcome = await openapiDiff.diffSpecs({ sourceSpec: spec(base), destinationSpec: spec(head) });
    return { breaking: outcome.breakingDifferencesFound };
  } catch (err) {
    return { breaking: true, error: (err as Error).message.split('\n')[0] ?? 'error' };
  }
};

const pairs = loadCorpus();
// Warm both (module loading, JIT) on one pair so neither pays start-up inside its time.
await driftguardJudge({ path: pairs[0]!.base, text: '{}' }, { path: pairs[0]!.head, text: '{}' }).catch(() => undefined);
await openapiDiffJudge({ path: 'a.json', text: '{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{}}' }, { path: 'b.json', text: '{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{}}' });
const results = [];
for (const [file, label] of [['corpus.json', "published verdicts of oasdiff's tests"], ['corpus-openapitools.json', "published verdicts of OpenAPITools/openapi-diff's tests (a second opinion)"]] as const) {
  const set = loadCorpus(file);
  const ours = await score('driftguard', driftguardJudge, set);
  const theirs = await score('openapi-diff', openapiDiffJudge, set);
  results.push({ file, ours: { ...ours, misses: ours.misses.length }, theirs: { ...theirs, misses: theirs.misses.length } });
  if (!process.argv.includes('--json')) {
    console.log(`contract diff on ${set.length} public before/after pairs of ${file} (${ours.positives} breaking, ${label}):`);
    console.log(`  ${formatScore(ours)}`);
    console.log(`  ${formatScore(theirs)}`);
  }
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
