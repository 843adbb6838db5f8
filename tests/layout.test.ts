import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layers, top down: cli/ (the composition root: commands, argument parsing), modules/ (the
// steps a policy runs), src/ (the core: engine, policy, module interface, retries, logging, the
// GitHub and cloud clients). An import only ever points down.
const ROOT = resolve('.');
const files: string[] = [];
const walk = (dir: string) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(relative(ROOT, path));
  }
};
for (const layer of ['cli', 'modules', 'src']) walk(join(ROOT, layer));

/** Every relative import of a file (static, type-only, re-exports and dynamic), as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm), ...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, resolve(dirname(file), s)));
}
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const layer = (path: string) => path.split('/')[0]!;
const RANK: Record<string, number> = { cli: 2, modules: 1, src: 0 };

/** Whether `from` reaches `to` through imports. */
function reaches(from: string, to: string, seen = new Set<string>()): boolean {
  if (seen.has(from)) return false;
  seen.add(from);
  return (graph.get(from) ?? []).some((next) => next === to || reaches(next, to, seen));
}

describe('layout', () => {
  it('finds the files of every layer', () => {
    expect(files.filter((f) => layer(f) === 'cli').length).toBeGreaterThan(5);
    expect(graph.get('cli/main.ts')).toContain('src/errors.ts');
  });

  it('imports only point down: cli/ over modules/ over src/', () => {
    const upward = [...graph].flatMap(([file, imports]) => imports.filter((i) => i.endsWith('.ts') && RANK[layer(i)] !== undefined && RANK[layer(i)]! > RANK[layer(file)]!).map((i) => `${file} -> ${i}`));
    expect(upward).toEqual([]);
  });

  it('the dependencies and the cloud clients do not import each other, nor the commands their dispatcher', () => {
    expect(reaches('src/clouds.ts', 'src/deps.ts')).toBe(false);
    expect(files.filter((f) => f.startsWith('cli/commands/') && reaches(f, 'cli/main.ts'))).toEqual([]);
  });
});

describe('scripts outside the typed sources', () => {
  it('every .mjs script of bench/, eval/ and scripts/ parses (node --check), so a benchmark or the eval never fails on syntax', async () => {
    const { spawnSync } = await import('node:child_process');
    const scripts: string[] = [];
    const walkScripts = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) {
          if (entry !== 'node_modules' && entry !== '.out') walkScripts(path);
        } else if (path.endsWith('.mjs')) scripts.push(relative(ROOT, path));
      }
    };
    for (const dir of ['bench', 'eval', 'scripts']) walkScripts(join(ROOT, dir));
    expect(scripts).toContain(join('bench', 'run.mjs'));
    const broken = scripts.map((file) => ({ file, check: spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' }) })).filter((r) => r.check.status !== 0).map((r) => `${r.file}: ${r.check.stderr.trim().split('\n').slice(-3).join(' ')}`);
    expect(broken).toEqual([]);
  });
});
