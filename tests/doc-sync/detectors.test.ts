import { describe, expect, it } from 'vitest';
import { docSyncOn, names } from '../helpers/doc-sync.ts';

const README = { 'README.md': '# project\n\nSet `DOCUMENTED_ONE` to tune things.\n' };

/** [detector, file, added content, names expected] — each a real git change against README.md. */
const POSITIVE: Array<[string, string, string, string[]]> = [
  ['process.env.X', 'src/a.ts', 'const a = process.env.API_URL;\n', ['API_URL']],
  ['process.env?.X', 'src/a.js', 'const a = process.env?.OPTIONAL_URL;\n', ['OPTIONAL_URL']],
  ['process.env["X"]', 'src/a.mjs', "const a = process.env['QUOTED_A'] ?? process.env[\"QUOTED_B\"];\n", ['QUOTED_A', 'QUOTED_B']],
  ['destructuring on one line', 'src/a.ts', 'const { ONE_A, TWO_B: two, THREE_C = "x" } = process.env;\n', ['ONE_A', 'THREE_C', 'TWO_B']],
  ['destructuring across lines', 'src/a.ts', 'const {\n  MULTI_A,\n  MULTI_B = "d",\n} = process.env;\n', ['MULTI_A', 'MULTI_B']],
  ['import.meta.env.X', 'src/a.tsx', 'const u = import.meta.env.VITE_API;\n', ['VITE_API']],
  ['Deno.env.get', 'src/a.ts', 'const u = Deno.env.get("DENO_VAR");\n', ['DENO_VAR']],
  ['Bun.env.X', 'src/a.ts', 'const u = Bun.env.BUN_VAR;\n', ['BUN_VAR']],
  ['os.environ["X"]', 'app.py', 'x = os.environ["PY_INDEX"]\n', ['PY_INDEX']],
  ['os.environ.get', 'app.py', "x = os.environ.get('PY_GET', 'd')\n", ['PY_GET']],
  ['os.getenv', 'app.py', 'x = os.getenv("PY_GETENV")\n', ['PY_GETENV']],
  ['environ.get', 'app.py', 'from os import environ\nx = environ.get("PY_BARE")\n', ['PY_BARE']],
  ['os.environ.setdefault', 'app.py', 'os.environ.setdefault("PY_DEFAULT", "1")\n', ['PY_DEFAULT']],
  ['Go os.Getenv / os.LookupEnv', 'main.go', 'a := os.Getenv("GO_A")\nb, ok := os.LookupEnv("GO_B")\n', ['GO_A', 'GO_B']],
  ['Ruby ENV[] / ENV.fetch', 'app.rb', "a = ENV['RB_A']\nb = ENV.fetch(\"RB_B\", 1)\n", ['RB_A', 'RB_B']],
  ['Java System.getenv', 'App.java', 'String a = System.getenv("JAVA_VAR");\n', ['JAVA_VAR']],
  ['Kotlin System.getenv', 'App.kt', 'val a = System.getenv("KT_VAR")\n', ['KT_VAR']],
  ['Rust std::env::var', 'main.rs', 'let a = std::env::var("RUST_VAR");\n', ['RUST_VAR']],
  ['C# GetEnvironmentVariable', 'App.cs', 'var a = Environment.GetEnvironmentVariable("CS_VAR");\n', ['CS_VAR']],
  ['PHP getenv / $_ENV', 'index.php', "<?php $a = getenv('PHP_A'); $b = $_ENV['PHP_B'];\n", ['PHP_A', 'PHP_B']],
  ['Dockerfile ENV pairs', 'Dockerfile', 'FROM node:20\nENV DOCK_A=1 DOCK_B="two words"\n', ['DOCK_A', 'DOCK_B']],
  ['Dockerfile legacy ENV', 'Dockerfile', 'FROM node:20\nENV DOCK_LEGACY some value\n', ['DOCK_LEGACY']],
  ['Dockerfile ENV continuation', 'Dockerfile', 'FROM node:20\nENV DOCK_C=1 \\\n    DOCK_D=2\n', ['DOCK_C', 'DOCK_D']],
  ['Dockerfile ARG', 'build/Containerfile', 'ARG BUILD_FLAVOUR=slim\n', ['BUILD_FLAVOUR']],
  ['Dockerfile ARG (root)', 'Dockerfile', 'ARG BUILD_FLAVOUR=slim\nFROM node:20\n', ['BUILD_FLAVOUR']],
  ['compose environment list', 'docker-compose.yml', 'services:\n  web:\n    image: x\n    environment:\n      - COMPOSE_LIST=1\n      - COMPOSE_BARE\n', ['COMPOSE_BARE', 'COMPOSE_LIST']],
  ['compose environment map', 'compose.yaml', 'services:\n  web:\n    environment:\n      COMPOSE_MAP: "1"\n', ['COMPOSE_MAP']],
  ['workflow env keys', '.github/workflows/ci.yml', 'on: push\nenv:\n  WF_TOP: 1\njobs:\n  a:\n    runs-on: x\n    env:\n      WF_JOB: 2\n    steps:\n      - run: echo\n        env:\n          WF_STEP: 3\n', ['WF_JOB', 'WF_STEP', 'WF_TOP']],
  ['shell ${X} and ${X:-d}', 'deploy.sh', '#!/bin/sh\necho "${SH_A}" "${SH_B:-default}" "${HOME}" "${PATH}"\n', ['SH_A', 'SH_B']],
];

describe('built-in detectors: positive', () => {
  it.each(POSITIVE)('%s', async (_, file, content, expected) => {
    const outcome = await docSyncOn(README, { [file]: content });
    expect(names(outcome)).toEqual(expected);
    for (const finding of outcome.findings) {
      expect(finding.file).toBe(file);
      expect(content.split('\n')[finding.line! - 1]).toContain(finding.title);
    }
  });
});

describe('built-in detectors: negative', () => {
  it('ignores a variable the docs already mention', async () => {
    expect(names(await docSyncOn(README, { 'src/a.ts': 'const a = process.env.DOCUMENTED_ONE;\n' }))).toEqual([]);
  });

  it('ignores a removed variable', async () => {
    const base = { ...README, 'src/a.ts': 'const a = process.env.GOING_AWAY;\nconst b = 1;\n' };
    expect(names(await docSyncOn(base, { 'src/a.ts': 'const b = 1;\n' }))).toEqual([]);
  });

  it('flags only the new name of a renamed variable', async () => {
    const base = { ...README, 'src/a.ts': 'const a = process.env.DOCUMENTED_ONE;\n' };
    expect(names(await docSyncOn(base, { 'src/a.ts': 'const a = process.env.RENAMED_TO;\n' }))).toEqual(['RENAMED_TO']);
  });

  it('does not flag a variable that only appears in unchanged context', async () => {
    const base = { ...README, 'src/a.ts': 'const a = process.env.ALREADY_THERE;\n' };
    expect(names(await docSyncOn(base, { 'src/a.ts': 'const a = process.env.ALREADY_THERE;\nconst b = 2;\n' }))).toEqual([]);
  });

  it.each([
    ['a test file', 'src/a.test.ts'],
    ['a tests folder', 'tests/helpers.ts'],
    ['a fixture', 'src/__fixtures__/env.ts'],
    ['a vendored file', 'vendor/lib/env.js'],
    ['a lock file', 'package-lock.json'],
  ])('skips %s by default', async (_, file) => {
    expect(names(await docSyncOn(README, { [file]: 'const a = process.env.SHOULD_NOT_FLAG;\n' }))).toEqual([]);
  });

  it('does not read ${{ vars.X }} / ${{ secrets.X }} in a workflow as environment reads', async () => {
    const content = 'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ vars.WF_VAR }} ${{ secrets.WF_SECRET }}\n';
    expect(names(await docSyncOn(README, { '.github/workflows/ci.yml': content }))).toEqual([]);
  });

  it('skips a deleted file and a generated file', async () => {
    const base = { ...README, 'src/old.ts': 'process.env.OLD_VAR;\n' };
    expect(names(await docSyncOn(base, { 'src/old.ts': null, 'src/gen.ts': '// Code generated by protoc. DO NOT EDIT.\nprocess.env.GEN_VAR;\n' }))).toEqual([]);
  });

  it('ignores lowercase names, shell builtins and variables the script assigns itself', async () => {
    const outcome = await docSyncOn(README, {
      'run.sh': '#!/bin/sh\nLOCAL_ONE=1\nexport EXPORTED=2\nfor ITEM in a b; do echo "${ITEM}"; done\necho "${LOCAL_ONE}" "${EXPORTED}" "${PWD}" "${USER}"\n',
      'src/b.ts': 'const x = process.env.lowercase_name;\n',
    });
    expect(names(outcome)).toEqual([]);
  });

  it('reads the context of a multi-line destructure but reports only added names', async () => {
    const base = { ...README, 'src/a.ts': 'const {\n  OLD_A,\n} = process.env;\n' };
    expect(names(await docSyncOn(base, { 'src/a.ts': 'const {\n  OLD_A,\n  NEW_B,\n} = process.env;\n' }))).toEqual(['NEW_B']);
  });

  it('does not mistake an unrelated object destructure for the environment', async () => {
    expect(names(await docSyncOn(README, { 'src/a.ts': 'const {\n  NOT_ENV,\n} = config;\n' }))).toEqual([]);
  });
});

describe('policy knobs', () => {
  it('an allowlist entry (with *) counts as documented', async () => {
    const outcome = await docSyncOn(README, { 'src/a.ts': 'process.env.NEXT_PUBLIC_X; process.env.EXACT_NAME; process.env.OTHER;\n' }, {
      slice: 'ai: { enabled: false }\nallow: ["NEXT_PUBLIC_*", "EXACT_NAME"]',
    });
    expect(names(outcome)).toEqual(['OTHER']);
  });

  it('docs globs decide where documentation is searched', async () => {
    const base = { ...README, 'docs/config.md': 'IN_DOCS_FOLDER is documented here.\n' };
    const change = { 'src/a.ts': 'process.env.IN_DOCS_FOLDER;\n' };
    expect(names(await docSyncOn(base, change))).toEqual([]);
    const narrow = await docSyncOn(base, change, { slice: 'ai: { enabled: false }\ndocs: ["README.md"]' });
    expect(names(narrow)).toEqual(['IN_DOCS_FOLDER']);
    expect(narrow.findings[0]!.message).toContain('(searched README.md)');
  });

  it('docs added by the change itself count (the head of the change is searched)', async () => {
    expect(names(await docSyncOn(README, { 'src/a.ts': 'process.env.NEW_AND_DOCUMENTED;\n', 'docs/env.md': '`NEW_AND_DOCUMENTED`: what it does\n' }))).toEqual([]);
  });

  it('custom rules find flags, config keys and routes in their own paths only', async () => {
    const slice = [
      'ai: { enabled: false }',
      'rules:',
      '  - { id: cli-flag, kind: CLI flag, pattern: "\\\\.option\\\\(\\"(--[a-z][a-z0-9-]*)", paths: ["src/cli/**"] }',
      '  - { id: route, kind: HTTP route, pattern: "router\\\\.(?:get|post)\\\\(\'(?P<name>/[^\']*)\'", paths: ["src/**/*.ts"] }',
    ].join('\n');
    const base = { 'README.md': 'Use `--verbose` for more. GET /health is the probe.\n' };
    const outcome = await docSyncOn(base, {
      'src/cli/main.ts': 'program.option("--verbose").option("--max-retries");\n',
      'src/routes.ts': "router.get('/health', h);\nrouter.post('/v2/refunds', r);\n",
      'lib/other.ts': 'program.option("--not-in-rule-paths");\n',
    }, { slice });
    expect(outcome.findings.map((f) => [f.title, f.rule, f.file, f.line])).toEqual([
      ['--max-retries', 'rule.cli-flag', 'src/cli/main.ts', 1],
      ['/v2/refunds', 'rule.route', 'src/routes.ts', 2],
    ]);
    expect(outcome.findings[0]!.message).toContain('new CLI flag --max-retries');
  });

  it('a custom rule reports only names the base did not already match (moved, reformatted)', async () => {
    const slice = [
      'ai: { enabled: false }',
      'rules:',
      '  - { id: cli-flag, kind: CLI flag, pattern: "\\\\.option\\\\(.(--[a-z][a-z0-9-]*)", paths: ["src/**"] }',
    ].join('\n');
    const base = { 'README.md': '# cli\n', 'src/old.ts': 'program.option("--old-flag");\n', 'src/kept.ts': 'program.option("--kept-flag");\n' };
    const outcome = await docSyncOn(base, {
      'src/old.ts': null,
      'src/new.ts': "program.option('--old-flag').option('--kept-flag').option('--brand-new');\n",
    }, { slice });
    expect(names(outcome)).toEqual(['--brand-new']);
  });

  it('one finding per name, at its first place, with a count of the others', async () => {
    const outcome = await docSyncOn(README, { 'src/a.ts': 'process.env.TWICE;\nprocess.env.TWICE;\n', 'src/b.ts': 'process.env.TWICE;\n' });
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({ file: 'src/a.ts', line: 1 });
    expect(outcome.findings[0]!.message).toContain('used in 2 more places');
  });
});
