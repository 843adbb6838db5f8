// Builds a real git repository holding one large pull request, for the doc-sync throughput bench:
// `main` has the base commit, `feature` (checked out) the head, and the files the head changes add
// up to the requested size. The code is synthetic but shaped like real JS/TS: imports, functions,
// comments, string literals, and environment reads in a realistic share of files (1 in 15),
// in the forms people write (process.env.X, process.env['X'], destructuring, `?? default`).
// Deterministic: the same size gives the same repository.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A small seeded PRNG (mulberry32), so every run builds the same change. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['account', 'order', 'payment', 'invoice', 'customer', 'session', 'token', 'request', 'response', 'cache', 'queue', 'retry', 'limit', 'region', 'bucket', 'record', 'event', 'handler', 'config', 'metric', 'user', 'tenant', 'price', 'ledger', 'refund', 'webhook', 'batch', 'cursor', 'page', 'filter'];
const BASE_NAMES = Array.from({ length: 240 }, (_, i) => `APP_${WORDS[i % WORDS.length].toUpperCase()}_${i}`);
/** Names the head adds: one in three is documented in the head's README, the rest is not. */
const NEW_NAMES = Array.from({ length: 60 }, (_, i) => `NEW_${WORDS[(i * 7) % WORDS.length].toUpperCase()}_SETTING_${i}`);

function codeLine(r, depth) {
  const w = () => WORDS[Math.floor(r() * WORDS.length)];
  const pad = '  '.repeat(depth);
  switch (Math.floor(r() * 10)) {
    case 0: return `${pad}// ${w()} ${w()}: keep the ${w()} in step with the ${w()} before the ${w()} is sent`;
    case 1: return `${pad}const ${w()}${Math.floor(r() * 100)} = await client.${w()}(${w()}, { ${w()}: ${Math.floor(r() * 1000)}, ${w()}: '${w()}-${w()}' });`;
    case 2: return `${pad}if (${w()}.${w()} === undefined || ${w()}.length > ${Math.floor(r() * 500)}) throw new Error(\`${w()} \${${w()}.id} has no ${w()}\`);`;
    case 3: return `${pad}log.info({ ${w()}: ${w()}.id, ${w()}: ${w()}.${w()} }, '${w()} ${w()} done');`;
    case 4: return `${pad}for (const ${w()} of ${w()}s) ${w()}s.push(transform${Math.floor(r() * 50)}(${w()}, options.${w()}));`;
    case 5: return `${pad}return { ...${w()}, ${w()}: ${w()}.${w()} ?? defaults.${w()}, updatedAt: Date.now() };`;
    case 6: return `${pad}const url = \`https://api.example.com/v${Math.floor(r() * 3)}/${w()}/\${${w()}.id}/${w()}\`;`;
    case 7: return `${pad}/** ${w()} of the ${w()}, in ${w()} units; undefined when the ${w()} has none. */`;
    case 8: return `${pad}${w()}Map.set(${w()}.key, (${w()}Map.get(${w()}.key) ?? 0) + ${w()}.${w()});`;
    default: return `${pad}await Promise.all(${w()}s.map((item) => queue.add('${w()}', item, { attempts: ${Math.floor(r() * 9) + 1} })));`;
  }
}

function envLine(r, name) {
  switch (Math.floor(r() * 4)) {
    case 0: return `  const setting = process.env.${name} ?? 'default';`;
    case 1: return `  const setting = Number(process.env['${name}'] ?? 30);`;
    case 2: return `  const { ${name} } = process.env;`;
    default: return `  if (process.env.${name}) options.flag = process.env.${name} === 'true';`;
  }
}

/** One module of about `bytes` bytes; `reads` are environment names it reads. */
function makeFile(r, bytes, reads, ts) {
  const lines = [`import { client, log, queue } from '../lib/index.js';`, ts ? `import type { Options } from '../types.js';` : `import { defaults } from '../defaults.js';`, ''];
  let size = 100;
  let fn = 0;
  const pending = [...reads];
  while (size < bytes) {
    const header = ts ? `export async function handle${fn++}(options: Options, ${WORDS[fn % WORDS.length]}s: any[]): Promise<void> {` : `export async function handle${fn++}(options, ${WORDS[fn % WORDS.length]}s) {`;
    lines.push(header);
    size += header.length + 1;
    const body = 8 + Math.floor(r() * 30);
    for (let i = 0; i < body; i++) {
      const line = pending.length && r() < 0.1 ? envLine(r, pending.pop()) : codeLine(r, 1 + (i % 3 === 2 ? 1 : 0));
      lines.push(line);
      size += line.length + 1;
    }
    lines.push('}', '');
    size += 3;
  }
  for (const name of pending) lines.push(`export const ${name.toLowerCase()} = process.env.${name};`);
  return lines;
}

/** The head version of a base file: about one line in 15 edited or inserted, sometimes an added read. */
function editFile(r, lines, added) {
  const out = [];
  const pending = [...added];
  for (const line of lines) {
    const roll = r();
    // Only statement lines inside functions are replaced, so the head still parses.
    if (roll < 0.04 && line.startsWith('  ') && !line.includes('env')) out.push(codeLine(r, 1));
    else if (roll < 0.07) { out.push(line); out.push(codeLine(r, 1)); }
    else out.push(line);
    if (pending.length && line.startsWith('  ') && r() < 0.02) out.push(envLine(r, pending.pop()));
  }
  for (const name of pending) out.push(`export const ${name.toLowerCase()} = process.env.${name};`);
  return out;
}

/**
 * Builds the repository in `dir` (which must not exist). `mb` is the size of the changed files at
 * the head, in MiB. Returns { files, bytes, newNames, undocumented } where `undocumented` are the
 * names the check should report.
 */
export async function makePrRepo(dir, mb, policyText) {
  mkdirSync(dir, { recursive: true });
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  git('init', '-q', '-b', 'main');
  const r = prng(20261130);
  const target = mb * 1024 * 1024;
  const importer = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit'] });
  const finished = new Promise((resolve, reject) => importer.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}`)))));
  let mark = 0;
  const write = (chunk) => (importer.stdin.write(chunk) ? undefined : new Promise((resolve) => importer.stdin.once('drain', resolve)));
  const blob = async (text) => {
    const data = Buffer.from(text);
    mark++;
    await write(`blob\nmark :${mark}\ndata ${data.length}\n`);
    await write(data);
    await write('\n');
    return mark;
  };
  const documented = NEW_NAMES.filter((_, i) => i % 3 === 0);
  const readmeBase = `# payments\n\nSettings: ${BASE_NAMES.join(', ')}.\n`;
  const readmeHead = `${readmeBase}\nNew settings: ${documented.join(', ')}.\n`;

  // Plan the files: 70% modified (a base version exists), 30% new. One file in 15 reads the
  // environment; a new name goes into one file in 60 until all are placed.
  const baseEntries = [];
  const headEntries = [];
  let bytes = 0;
  let files = 0;
  let nextNew = 0;
  while (bytes < target) {
    const size = 2_000 + Math.floor(r() * r() * 120_000);
    const reads = r() < 1 / 15 ? Array.from({ length: 1 + Math.floor(r() * 3) }, () => BASE_NAMES[Math.floor(r() * BASE_NAMES.length)]) : [];
    const added = nextNew < NEW_NAMES.length && files % 60 === 7 ? [NEW_NAMES[nextNew++]] : [];
    const ts = files % 3 !== 0;
    const path = `src/${WORDS[files % WORDS.length]}/${WORDS[Math.floor(files / WORDS.length) % WORDS.length]}-${files}.${ts ? 'ts' : 'js'}`;
    const base = makeFile(r, size, reads, ts);
    let head;
    if (r() < 0.7) {
      baseEntries.push([path, await blob(base.join('\n') + '\n')]);
      head = editFile(r, base, added);
    } else {
      head = base.concat(added.map((name) => `export const ${name.toLowerCase()} = process.env.${name};`));
    }
    const text = head.join('\n') + '\n';
    bytes += Buffer.byteLength(text);
    headEntries.push([path, await blob(text)]);
    files++;
  }
  // A few unchanged files at the base, so the base tree is more than the change.
  for (let i = 0; i < 50; i++) baseEntries.push([`lib/util-${i}.ts`, await blob(makeFile(r, 4000, i % 5 === 0 ? [BASE_NAMES[i]] : [], true).join('\n') + '\n')]);
  const policy = await blob(policyText);
  const rBase = await blob(readmeBase);
  const rHead = await blob(readmeHead);
  const commit = async (ref, from, message, entries, readme, when) => {
    await write(`commit ${ref}\ncommitter Bench <bench@example.com> ${when} +0000\ndata ${message.length}\n${message}\n`);
    if (from) await write(`from ${from}\n`);
    await write(`M 100644 :${policy} policy.yaml\nM 100644 :${readme} README.md\n`);
    for (const [path, m] of entries) await write(`M 100644 :${m} ${path}\n`);
    await write('\n');
  };
  await commit('refs/heads/main', undefined, 'base', baseEntries, rBase, 1_780_000_000);
  await commit('refs/heads/feature', 'refs/heads/main', 'a large change', headEntries, rHead, 1_780_000_100);
  await write('done\n');
  importer.stdin.end();
  await finished;
  git('symbolic-ref', 'HEAD', 'refs/heads/feature');
  git('reset', '-q', '--hard');
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '.artifacts/\n');
  return { files, bytes, newNames: nextNew, undocumented: NEW_NAMES.slice(0, nextNew).filter((_, i) => i % 3 !== 0) };
}
