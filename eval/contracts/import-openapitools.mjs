// Rebuilds corpus-openapitools.json from an OpenAPITools/openapi-diff checkout:
//   node eval/contracts/import-openapitools.mjs <openapi-diff-dir> <commit>
// Each pair is two resource files that one of its JUnit tests compares with a verdict:
// assertSpecIncompatible / assertOpenApiBackwardIncompatible (breaking), assertSpecChangedButCompatible /
// assertOpenApiBackwardCompatible / assertSpecUnchanged (not breaking). Pairs of a file with itself,
// and pairs the tests label both ways (under different options), are left out. Files are copied unchanged.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [root, commit] = process.argv.slice(2);
if (!root || !commit) throw new Error('usage: import-openapitools.mjs <openapi-diff-dir> <commit>');
const here = dirname(new URL(import.meta.url).pathname);
const javaDir = join(root, 'core/src/test/java/org/openapitools/openapidiff/core');
const res = join(root, 'core/src/test/resources');
const files = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith('Test.java')) files.push(p);
  }
};
walk(javaDir);
const byPair = new Map();
for (const f of files.sort()) {
  const t = readFileSync(f, 'utf8');
  const consts = Object.fromEntries([...t.matchAll(/String\s+(\w+)\s*=\s*"([^"]+)"/g)].map((m) => [m[1], m[2]]));
  const val = (a) => (/^"[^"]*"$/.test(a.trim()) ? a.trim().slice(1, -1) : consts[a.trim()]);
  for (const m of t.matchAll(/(assertSpecIncompatible|assertSpecChangedButCompatible|assertSpecUnchanged|assertOpenApiBackwardCompatible|assertOpenApiBackwardIncompatible)\(\s*([^,()]+),\s*([^,()]+)[,)]/g)) {
    const [kind, base, head] = [m[1], val(m[2]), val(m[3])];
    if (!base || !head || base === head || !existsSync(join(res, base)) || !existsSync(join(res, head))) continue;
    const test = [...t.slice(0, m.index).matchAll(/public void (\w+)\(\)/g)].at(-1)?.[1];
    const key = `${base}|${head}`;
    const e = byPair.get(key) ?? { base, head, verdicts: new Set(), source: [] };
    e.verdicts.add(/Incompatible/.test(kind));
    e.source.push(`https://github.com/OpenAPITools/openapi-diff/blob/${commit}/${f.slice(root.length + 1)} ${test} (${kind})`);
    byPair.set(key, e);
  }
}
const pairs = [...byPair.values()]
  .filter((e) => e.verdicts.size === 1)
  .map((e) => {
    for (const f of [e.base, e.head]) {
      mkdirSync(dirname(join(here, 'openapitools', f)), { recursive: true });
      copyFileSync(join(res, f), join(here, 'openapitools', f));
    }
    const breaking = [...e.verdicts][0];
    return { name: `${e.head}@${e.base}`, base: `openapitools/${e.base}`, head: `openapitools/${e.head}`, breaking, published: [{ id: breaking ? 'incompatible' : 'compatible', level: null }], source: e.source };
  });
copyFileSync(join(root, 'LICENSE'), join(here, 'openapitools', 'LICENSE'));
writeFileSync(join(here, 'corpus-openapitools.json'), `${JSON.stringify({ source: `OpenAPITools/openapi-diff@${commit}`, pairs }, null, 1)}\n`);
console.log(`${pairs.length} pairs, ${pairs.filter((p) => p.breaking).length} breaking`);
