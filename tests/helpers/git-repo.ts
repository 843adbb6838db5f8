import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A real git repository in a temp folder: a base commit on main and a change on a branch. */
export class TestRepo {
  readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'dg-repo-'));
    this.git('init', '--quiet', '--initial-branch=main');
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
    });
  }

  write(files: Record<string, string | null>): this {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    return this;
  }

  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  branch(name: string): this {
    this.git('checkout', '--quiet', '-b', name);
    return this;
  }

  /** Base files on main, then the change on a branch; returns the two SHAs. */
  static withChange(base: Record<string, string>, change: Record<string, string | null>): { repo: TestRepo; base: string; head: string } {
    const repo = new TestRepo();
    repo.write(base);
    const baseSha = repo.commit('base');
    repo.branch('feature');
    repo.write(change);
    const head = repo.commit('change');
    return { repo, base: baseSha, head };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
