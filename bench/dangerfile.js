// The Dangerfile of the bench (bench/run.mjs): the same one rule as DriftGuard's doc sync, written
// the way a Danger user would: a `process.env.X` read on an added line of a changed file, whose
// name no *.md file of the repository mentions, fails the build.
const { readFileSync, readdirSync } = require('fs');
const { join } = require('path');

function markdown(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...markdown(path));
    else if (entry.name.endsWith('.md')) out.push(path);
  }
  return out;
}

const docs = markdown(process.cwd()).map((file) => readFileSync(file, 'utf8')).join('\n');
schedule(async () => {
  for (const file of [...danger.git.modified_files, ...danger.git.created_files]) {
    const diff = await danger.git.diffForFile(file);
    if (!diff) continue;
    for (const match of diff.added.matchAll(/process\.env\.([A-Z_][A-Z0-9_]*)/g)) {
      if (!new RegExp(`\\b${match[1]}\\b`).test(docs)) fail(`new environment variable ${match[1]} is not mentioned in the docs`, file);
    }
  }
});
