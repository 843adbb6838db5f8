import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { DriftGuardError, ExitCode } from '../../src/errors.ts';
import { Git } from '../../src/git.ts';
import type { ParsedArgs } from '../args.ts';
import { packageRoot } from '../../src/package-root.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { REGISTRY } from '../../modules/registry.ts';

/** Where the policy init writes keeps its audit records. */
const AUDIT_DIR = '.artifacts';

/** The workflow files `init` writes, from DriftGuard's own `.github/workflows/`, by group. */
export const INIT_WORKFLOWS: Record<string, readonly string[]> = {
  pr: ['driftguard-main.yml', 'driftguard-publish.yml'],
  janitor: ['janitor-cron.yml'],
  drift: ['drift.yml'],
};

const LANGUAGES: ReadonlyArray<[string, RegExp, string]> = [
  ['JavaScript/TypeScript', /\.(m|c)?(j|t)sx?$/i, 'parsed'],
  ['Python', /\.pyi?$/i, 'parsed'],
  ['Go', /\.go$/i, 'parsed'],
  ['shell', /\.(sh|bash|zsh|ksh)$/i, 'parsed'],
  ['Dockerfile', /(^|\/)(Dockerfile|Containerfile)(\.[^/]+)?$/i, 'read'],
  ['Ruby', /\.(rb|rake)$/i, 'read line by line'],
  ['Java/Kotlin', /\.(java|kt|kts)$/i, 'read line by line'],
  ['Rust', /\.rs$/i, 'read line by line'],
  ['C#', /\.cs$/i, 'read line by line'],
  ['PHP', /\.php$/i, 'read line by line'],
];
const SKIP = /(^|\/)(node_modules|vendor|\.git|dist|build|out|coverage|\.venv|venv|__pycache__|target)(\/|$)/;
const MAX_WALK = 50_000;

/** The repository's files: `git ls-files` in a clone, else a bounded walk of the folder. */
async function repositoryFiles(root: string): Promise<string[]> {
  const git = new Git(root);
  if (await git.isRepository()) {
    const listed = await git.run(['ls-files', '-z']).catch(() => '');
    if (listed) return listed.split('\0').filter(Boolean);
  }
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (files.length >= MAX_WALK) return;
      const path = relative(root, join(dir, entry.name)).split('\\').join('/');
      if (SKIP.test(path)) continue;
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.isFile()) files.push(path);
    }
  };
  walk(root);
  return files;
}

const DOC = /\.(md|mdx|markdown|rst|adoc|asciidoc|txt)$/i;

/**
 * The doc globs to search, from the docs the repository has: its top-level README and guides
 * (Markdown, reStructuredText, AsciiDoc, text; not changelogs or licences), a docs folder of any
 * case, and the READMEs of its packages in a monorepo. Falls back to `README.md`.
 */
export function docGlobs(files: readonly string[]): string[] {
  const docs = files.filter((f) => DOC.test(f) && !SKIP.test(f));
  const globs: string[] = [];
  for (const top of docs.filter((f) => !f.includes('/')).sort((a, b) => Number(!/^readme/i.test(a)) - Number(!/^readme/i.test(b)) || a.localeCompare(b))) {
    if (!/^(CHANGELOG|CHANGES|HISTORY|CODE_OF_CONDUCT|LICENSE|LICENCE|COPYING|SECURITY|NOTICE)/i.test(top) && !/\.txt$/i.test(top)) globs.push(top);
  }
  const folders = [...new Set(docs.map((f) => f.split('/')[0]!).filter((d) => /^(docs?|documentation)$/i.test(d)))].sort();
  for (const folder of folders) {
    const exts = [...new Set(docs.filter((f) => f.startsWith(`${folder}/`)).map((f) => f.slice(f.lastIndexOf('.') + 1).toLowerCase()))].sort();
    globs.push(exts.length === 1 ? `${folder}/**/*.${exts[0]}` : `${folder}/**/*.{${exts.join(',')}}`);
  }
  if (docs.some((f) => f.includes('/') && /(^|\/)README\.md$/i.test(f) && !folders.some((d) => f.startsWith(`${d}/`)))) globs.push('**/README.md');
  return globs.length ? globs : ['README.md'];
}

/** A commented policy for a repository with these files. */
export function policyFor(files: readonly string[], groups: readonly string[]): string {
  const docs = docGlobs(files);
  const seen = LANGUAGES.map(([name, re, how]) => [name, files.filter((f) => re.test(f)).length, how] as const).filter(([, n]) => n > 0);
  const lines = [
    '# yaml-language-server: $schema=https://unpkg.com/@driftguard/cli/policy.schema.json',
    '# DriftGuard policy, written by `driftguard init`. `driftguard validate` checks it; every key',
    '# and its default are in the README and in `driftguard schema`.',
    seen.length
      ? `# Code seen here: ${seen.map(([name, n, how]) => `${name} (${n} file${n === 1 ? '' : 's'}, ${how})`).join(', ')}.`
      : '# No code DriftGuard reads was seen here yet.',
    'version: 1',
    ...(groups.includes('janitor')
      ? [
          '# Dry run: DriftGuard decides and reports, and changes nothing: no check runs, no comments, and',
          '# above all no deletions. Set it to false once the janitor\'s plans look right; --dry-run always wins.',
          'dry_run: true',
        ]
      : [
          '# Live: pull requests get check runs and one comment. true: decide and report in the job log',
          '# only, writing nothing; --dry-run on the command line always wins.',
          'dry_run: false',
        ]),
    'audit:',
    `  dir: ${AUDIT_DIR}            # one JSON record per run: who, what, when, why, the policy's hash`,
    'workflows:',
    '  pr_opened: [doc_sync]',
    '  pr_synchronize: [doc_sync]',
    '  pr_reopened: [doc_sync]',
    '  pr_comment: [override]     # /driftguard override <reason> on a pull request',
    ...(groups.includes('janitor') ? ['  schedule: [janitor]'] : []),
    ...(groups.includes('drift') ? ['  # dispatch: [drift]        # drift.yml runs it per environment and region: enable it once modules.drift.stacks lists your stacks'] : []),
    'modules:',
    '  doc_sync:',
    '    on_fail: block            # block | warn',
    `    docs: [${docs.map((d) => JSON.stringify(d)).join(', ')}]   # where a new setting must be mentioned`,
    '    # allow: ["SOME_INTERNAL_VAR"]   # names that never need docs',
    '    ai:',
    '      enabled: false          # true: Gemini (GEMINI_API_KEY) may add findings, never remove one',
    ...(groups.includes('janitor')
      ? [
          '  janitor:',
          '    # Deletes expired resources named dg-... without a protected tag. Fill in your accounts:',
          '    providers:',
          '      aws:',
          '        accounts: ["111111111111"]',
          '        regions: [us-east-1]',
          '        resources: [s3_bucket]',
        ]
      : []),
    ...(groups.includes('drift')
      ? [
          '  # drift:',
          '  #   stacks:',
          '  #     - { name: network, environment: prod, region: eu-west-1, dir: infra/network }',
        ]
      : []),
    'overrides:',
    '  min_permission: write      # who may override: write, maintain or admin (looked up through the API)',
    '  protected_paths: ["policy.yaml", ".github/workflows/**"]   # a PR touching these cannot be overridden',
  ];
  return `${lines.join('\n')}\n`;
}

interface Planned {
  path: string;
  text: string;
  exists: boolean;
}

/**
 * `driftguard init`: writes a commented `policy.yaml` fitted to the repository (its Markdown
 * docs, the languages it holds) and the workflow files, each pinned to this release of the
 * Action. Refuses to overwrite an existing file unless `--force`; `--dry-run` prints what it
 * would write. The policy it writes is validated before anything is written.
 * @throws DriftGuardError('usage') on an unknown workflow group or a file that exists
 */
export default async function init(args: ParsedArgs): Promise<number> {
  const given = resolve((args.values.dir as string | undefined) ?? process.cwd());
  if (!existsSync(given) || !statSync(given).isDirectory()) throw new DriftGuardError('usage', `--dir ${given} is not a folder`);
  // The policy and the workflows belong at the repository's root, wherever init is run from.
  const git = new Git(given);
  const root = (await git.isRepository()) ? resolve((await git.run(['rev-parse', '--show-toplevel'])).trim()) : given;
  if (root !== given) process.stdout.write(`writing at the repository's root, ${root}\n`);
  const groups = [...new Set(((args.values.workflows as string | undefined) ?? 'pr').split(',').map((g) => g.trim()))];
  if (groups.includes('')) throw new DriftGuardError('usage', `--workflows takes ${Object.keys(INIT_WORKFLOWS).join(', ')} (comma-separated), got "${String(args.values.workflows)}"`);
  const unknown = groups.filter((g) => !INIT_WORKFLOWS[g]);
  if (unknown.length) throw new DriftGuardError('usage', `--workflows takes ${Object.keys(INIT_WORKFLOWS).join(', ')} (comma-separated), got "${unknown.join(', ')}"`);

  const policy = policyFor(await repositoryFiles(root), groups);
  // What init writes must validate: a template that does not is DriftGuard's bug, not the user's.
  await parsePolicy('policy.yaml', policy, REGISTRY);

  const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const planned: Planned[] = [{ path: 'policy.yaml', text: policy, exists: false }];
  for (const group of groups) {
    for (const file of INIT_WORKFLOWS[group]!) {
      const template = readFileSync(join(packageRoot(), '.github', 'workflows', file), 'utf8');
      planned.push({ path: `.github/workflows/${file}`, text: template.replace(/(driftguard\/driftguard)@v\d+\b/g, `$1@v${version}`), exists: false });
    }
  }
  for (const p of planned) p.exists = existsSync(join(root, p.path));
  // Audit records are run output, not source: kept out of commits unless the repository already says otherwise.
  const ignoreAudit = (await git.isRepository()) && !(await new Git(root).run(['check-ignore', '--no-index', '--', `${AUDIT_DIR}/driftguard-run.json`], { allowFail: true })).trim();

  const clash = planned.filter((p) => p.exists);
  if (args.values['dry-run']) {
    for (const p of planned) process.stdout.write(`--- ${p.path}${p.exists ? (args.values.force ? ' (would overwrite)' : ' (exists: would be left as it is; --force overwrites)') : ''}\n${p.text}`);
    if (ignoreAudit) process.stdout.write(`--- .gitignore (would add ${AUDIT_DIR}/)\n`);
    return ExitCode.pass;
  }
  if (clash.length && !args.values.force) {
    throw new DriftGuardError('usage', `${clash.map((p) => p.path).join(', ')} already exist${clash.length === 1 ? 's' : ''} in ${root}; nothing was written (--force overwrites, --dry-run shows what would be written)`);
  }
  for (const p of planned) {
    await mkdir(dirname(join(root, p.path)), { recursive: true });
    await writeFile(join(root, p.path), p.text);
    process.stdout.write(`${p.exists ? 'overwrote' : 'wrote'} ${p.path}\n`);
  }
  if (ignoreAudit) {
    const file = join(root, '.gitignore');
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
    await writeFile(file, `${before}${before && !before.endsWith('\n') ? '\n' : ''}# DriftGuard's audit records (run output)\n${AUDIT_DIR}/\n`);
    process.stdout.write(`added ${AUDIT_DIR}/ to .gitignore\n`);
  }
  process.stdout.write(`\nNext: commit these files on your default branch (DriftGuard reads the policy from a pull request's base), then open a pull request. Try it locally first: driftguard run --event pr_opened --dry-run\n`);
  return ExitCode.pass;
}
