// Rebuilds corpus.json from an oasdiff checkout: node eval/contracts/import-oasdiff.mjs <oasdiff-dir> <commit>
// Each pair is a base/revision file pair that one of oasdiff's checker tests loads without changing
// it in code; its label is what the test asserts: the check ids it expects and their levels
// (from the test, or from oasdiff's rule table in checker/rules.go). A pair is breaking when any
// expected change has the level ERR. Families outside the guard's scope (JSON Schema 2020
// conditionals and friends, discriminators, extensible enums, const) are left out by rule id,
// before any tool is run. The fixtures are copied unchanged under oasdiff/.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const [root, commit] = process.argv.slice(2);
if (!root || !commit) throw new Error('usage: import-oasdiff.mjs <oasdiff-dir> <commit>');
const here = dirname(new URL(import.meta.url).pathname);
const src = readdirSync(join(root, 'checker')).filter((f) => f.endsWith('.go'));
const idStr = {}; const level = {};
for (const f of src) {
  const t = readFileSync(join(root, 'checker', f), 'utf8');
  for (const m of t.matchAll(/\b(\w+Id)\s*=\s*"([a-z0-9-]+)"/g)) idStr[m[1]] = m[2];
}
const rules = readFileSync(join(root, 'checker', 'rules.go'), 'utf8');
for (const m of rules.matchAll(/newBackwardCompatibilityRule\((\w+Id),\s*(ERR|WARN|INFO)/g)) level[m[1]] = m[2];
const out = [];
const skipped = {};
for (const f of src.filter((f) => f.endsWith('_test.go'))) {
  const t = readFileSync(join(root, 'checker', f), 'utf8');
  const funcs = t.split(/\n(?=(?:\/\/[^\n]*\n)*func Test)/);
  for (const body of funcs) {
    const name = body.match(/func (Test\w+)/)?.[1];
    if (!name) continue;
    const comment = (body.match(/^((?:\/\/[^\n]*\n)+)func/)?.[1] ?? '').replace(/\/\/ ?/g, '').trim().split('\n')[0];
    const skip = (why) => { skipped[why] = (skipped[why] ?? 0) + 1; };
    let files = [...body.matchAll(/open\("\.\.\/(data\/[^"]+)"/g)].map((m) => m[1]);
    let cfg = 'all';
    const dm = body.match(/\bd\(t, diff\.NewConfig\(\), (\d+), (\d+)\)/);
    if (dm) files = [`data/openapi-test${dm[1]}.yaml`, `data/openapi-test${dm[2]}.yaml`];
    if (!dm && /\bl\(t, \d+\)/.test(body)) { const ls = [...body.matchAll(/\bl\(t, (\d+)\)/g)].map((m) => `data/openapi-test${m[1]}.yaml`); files = ls; }
    if (files.length !== 2) { skip('files!=2'); continue; }
    if (files[0] === files[1]) { skip('same file'); continue; }
    if (/\bs[12]\.Spec\b|deleteParam|openapi3\.New|\.Value\s*=|Extensions\[|\bs[12]\.\w+\s*=/.test(body)) { skip('mutates'); continue; }
    if (/diff\.NewConfig\(\)\.With|ExcludeElements|config\.\w+\s*=|WithDeprecation|WithOptionalCheck|WithAttributes|WithCheckBreaking|IncludePathParams|MatchPath|Flatten|NewLoader\(\)\s*\n[^\n]*\.Is(?!ExternalRefsAllowed)|FilterByPath|ExcludeExtensions/.test(body) && !dm) { skip('config'); continue; }
    if (/singleCheckConfig/.test(body)) cfg = 'single';
    else if (/allChecksConfig\(\)\s*,|d\(t,/.test(body)) cfg = 'all';
    else { skip('unknown config'); continue; }
    if ((body.match(/CheckBackwardCompatibility/g) ?? []).length + (dm ? 1 : 0) !== 1) { skip('multiple runs'); continue; }
    const negated = new Set([...body.matchAll(/Not(?:Equal|Contains)\([^\n]*checker\.(\w+Id)\b/g)].map((m) => m[1]));
    const ids = [...new Set([...body.matchAll(/checker\.(\w+Id)\b/g)].map((m) => m[1]))].filter((x) => idStr[x] && !negated.has(x));
    const levels = [...body.matchAll(/Level:\s*checker\.(ERR|WARN|INFO)|Equal\(t, checker\.(ERR|WARN|INFO), errs\[\d+\]\.GetLevel\(\)\)/g)].map((m) => m[1] ?? m[2]);
    const empty = /require\.Empty\(t, errs\)|require\.Len\(t, errs, 0\)|require\.Zero\(t, len\(errs\)\)/.test(body);
    const notEmptyCheck = /NotContains|NotEqual|NotEmpty/.test(body) && ids.length === 0;
    if (ids.length === 0 && !empty) { skip('no verdict'); continue; }
    if (ids.length > 0 && empty) { skip('ambiguous'); continue; }
    if (notEmptyCheck) { skip('ambiguous2'); continue; }
    const lv = ids.map((i) => level[i]);
    if (lv.some((x) => !x) && levels.length === 0) { skip('unknown level'); continue; }
    const untilErr = /UntilLevel\([^)]*checker\.ERR\)/.test(body);
    const verdictLevels = levels.length ? levels : lv;
    const breaking = verdictLevels.includes('ERR') || (untilErr && ids.length > 0);
    if (!files.every((x) => existsSync(join(root, x)))) { skip('missing file'); continue; }
    out.push({ test: `checker/${f}#${name}`, comment, files, cfg, ids: ids.map((i) => idStr[i]), levels: verdictLevels, breaking });
  }
}

const byPair = new Map();
for (const x of out) {
  const key = x.files.join('|');
  const e = byPair.get(key) ?? { files: x.files, tests: [], ids: [], levels: [], breaking: false };
  e.tests.push(x.test);
  x.ids.forEach((id, n) => {
    if (!e.ids.includes(id)) {
      e.ids.push(id);
      e.levels.push(x.levels[n] ?? null);
    }
  });
  e.breaking ||= x.breaking;
  byPair.set(key, e);
}
const outOfScope = /contains|dependent-|-(if|then|else)-|prefix-items|property-names|pattern-property|unevaluated|content-schema|content-media-type|content-encoding|extensible-enum|discriminator|webhook|const-changed/;
const name = (f) => basename(f).replace(/\.(ya?ml|json)$/, '');
const pairs = [...byPair.values()]
  .filter((e) => !e.ids.some((id) => outOfScope.test(id)))
  .map((e) => {
    for (const f of e.files) {
      mkdirSync(dirname(join(here, 'oasdiff', f)), { recursive: true });
      copyFileSync(join(root, f), join(here, 'oasdiff', f));
    }
    return {
      name: `${name(e.files[1])}@${name(e.files[0])}`,
      base: `oasdiff/${e.files[0]}`,
      head: `oasdiff/${e.files[1]}`,
      breaking: e.breaking,
      published: e.ids.map((id, i) => ({ id, level: e.levels[i] ?? null })),
      source: e.tests.map((t) => {
        const [file, fn] = t.split('#');
        return `https://github.com/oasdiff/oasdiff/blob/${commit}/${file} ${fn}`;
      }),
    };
  });
copyFileSync(join(root, 'LICENSE'), join(here, 'oasdiff', 'LICENSE'));
writeFileSync(join(here, 'corpus.json'), `${JSON.stringify({ source: `oasdiff/oasdiff@${commit}`, pairs }, null, 1)}\n`);
console.log(`${pairs.length} pairs, ${pairs.filter((p) => p.breaking).length} breaking; skipped tests: ${JSON.stringify(skipped)}`);
