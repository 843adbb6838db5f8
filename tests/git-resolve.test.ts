import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Git } from '../src/git.ts';
import { gitChange, changeSourceFor } from '../src/change.ts';
import { TestRepo } from './helpers/git-repo.ts';

const repos: TestRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.remove();
});

function repo(): { repo: TestRepo; first: string } {
  const r = new TestRepo();
  repos.push(r);
  r.write({ 'a.txt': 'one\n' });
  return { repo: r, first: r.commit('first') };
}

describe('Git.resolve', () => {
  it('resolves a ref once per Git instance: a ref moved later still gives the commit first seen', async () => {
    const { repo: r, first } = repo();
    const git = new Git(r.dir);
    expect(await git.resolve('main')).toBe(first);
    r.write({ 'a.txt': 'two\n' });
    const second = r.commit('second');
    expect(await git.resolve('main')).toBe(first);
    expect(await new Git(r.dir).resolve('main')).toBe(second);
  });

  it('concurrent callers share one answer', async () => {
    const { repo: r, first } = repo();
    const git = new Git(r.dir);
    expect(await Promise.all([git.resolve('HEAD'), git.resolve('HEAD'), git.resolve(first), git.resolve(first.slice(0, 10))])).toEqual([first, first, first, first]);
  });

  it('does not remember a failure: a ref created later is found', async () => {
    const { repo: r, first } = repo();
    const git = new Git(r.dir);
    await expect(git.resolve('later')).rejects.toThrow(/git rev-parse --verify --quiet later\^\{commit\} failed in /);
    r.git('branch', 'later');
    expect(await git.resolve('later')).toBe(first);
  });

  it('the default branch and the merge base still come from git', async () => {
    const { repo: r, first } = repo();
    r.branch('feature');
    r.write({ 'b.txt': 'b\n' });
    const head = r.commit('feature');
    const git = new Git(r.dir);
    expect(await git.defaultBranch()).toBe('main');
    expect(await git.mergeBase('main', head)).toBe(first);
    expect(await git.resolve(first)).toBe(first);
  });
});

describe('changeSourceFor', () => {
  it('names every commit the clone lacks, in one message', async () => {
    const { repo: r, first } = repo();
    const git = new Git(r.dir);
    const missing = 'f'.repeat(40);
    await expect(changeSourceFor({ kind: 'git', cwd: r.dir, base: missing, head: 'e'.repeat(40) }, git)).rejects.toThrow(/the base commit ffffffffffff and the head commit eeeeeeeeeeee are not in the local clone/);
    await expect(changeSourceFor({ kind: 'git', cwd: r.dir, base: first, head: missing }, git)).rejects.toThrow(/^the head commit ffffffffffff is not in the local clone/);
    const source = await changeSourceFor({ kind: 'git', cwd: r.dir, base: first, head: first }, git);
    expect(await source.listHeadFiles()).toEqual(await gitChange(git, first, first).listHeadFiles());
  });
});

describe('Git.probe', () => {
  /** A Git that counts the git processes it starts. */
  const counting = (dir: string) => {
    const git = new Git(dir);
    const calls: string[][] = [];
    const run = git.run.bind(git);
    git.run = (args, options) => {
      calls.push([...args]);
      return run(args, options);
    };
    return { git, calls };
  };

  it('learns the work tree and both refs in one git process; later answers start none', async () => {
    const { repo: r, first } = repo();
    const { git, calls } = counting(r.dir);
    await git.probe(['HEAD', 'main']);
    expect(calls).toEqual([['rev-parse', '--is-inside-work-tree', 'HEAD^{commit}', 'main^{commit}']]);
    expect(await git.isRepository()).toBe(true);
    expect(await git.resolve('HEAD')).toBe(first);
    expect(await git.resolve('main')).toBe(first);
    expect(calls).toHaveLength(1);
  });

  it('learns the merge base from the same process: base...head', async () => {
    const { repo: r, first } = repo();
    r.branch('feature');
    r.write({ 'b.txt': 'b\n' });
    const head = r.commit('feature work');
    r.git('checkout', '-q', 'main');
    r.write({ 'c.txt': 'c\n' });
    const base = r.commit('main moved on');
    r.git('checkout', '-q', 'feature');
    const { git, calls } = counting(r.dir);
    await git.probe(['HEAD', 'main'], { mergeBaseOf: ['main', 'HEAD'] });
    expect(calls).toEqual([['rev-parse', '--is-inside-work-tree', 'HEAD^{commit}', 'main^{commit}', 'main...HEAD']]);
    expect(await git.resolve('main')).toBe(base);
    expect(await git.mergeBase(base, head)).toBe(first);
    expect(calls).toHaveLength(1);
    // Another pair is not answered from the probe.
    expect(await git.mergeBase(head, base)).toBe(first);
    expect(calls.at(-1)).toEqual(['merge-base', head, base]);
  });

  it('no single merge base (criss-cross merges, unrelated histories): git merge-base answers as before', async () => {
    const { repo: r } = repo();
    r.branch('b');
    r.write({ 'b.txt': 'b1\n' });
    const b1 = r.commit('b1');
    r.git('checkout', '-q', 'main');
    r.write({ 'm.txt': 'm1\n' });
    const m1 = r.commit('m1');
    // Criss-cross: each side merges the other's first commit.
    r.git('merge', '-q', '--no-edit', b1);
    r.git('checkout', '-q', 'b');
    r.git('merge', '-q', '--no-edit', m1);
    const { git, calls } = counting(r.dir);
    await git.probe(['b', 'main'], { mergeBaseOf: ['main', 'b'] });
    const expected = r.git('merge-base', 'main', 'b').trim();
    expect(await git.mergeBase(await git.resolve('main'), await git.resolve('b'))).toBe(expected);
    expect(calls.at(-1)?.[0]).toBe('merge-base');

    r.git('checkout', '-q', '--orphan', 'other');
    r.git('rm', '-rq', '--cached', '.');
    r.write({ 'o.txt': 'o\n' });
    r.git('add', 'o.txt');
    r.git('commit', '-qm', 'unrelated');
    const unrelated = counting(r.dir);
    await unrelated.git.probe(['other', 'main'], { mergeBaseOf: ['main', 'other'] });
    await expect(unrelated.git.mergeBase(await unrelated.git.resolve('main'), await unrelated.git.resolve('other'))).rejects.toThrow(/git merge-base .* failed in /);
  });

  it('a ref that names no commit, an option-like ref or a folder outside git leave the answers and errors as they were', async () => {
    const { repo: r, first } = repo();
    const { git } = counting(r.dir);
    await git.probe(['HEAD', 'missing']);
    expect(await git.resolve('HEAD')).toBe(first);
    await expect(git.resolve('missing')).rejects.toThrow(/git rev-parse --verify --quiet missing\^\{commit\} failed in /);
    const options = counting(r.dir);
    await options.git.probe(['--output=x']);
    expect(options.calls).toEqual([]);
    const outside = counting(mkdtempSync(join(tmpdir(), 'dg-not-git-')));
    await outside.git.probe(['HEAD']);
    expect(await outside.git.isRepository()).toBe(false);
  });
});
