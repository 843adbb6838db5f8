import { execFile, spawn } from 'node:child_process';
import { DriftGuardError } from './errors.ts';

const MAX_BUFFER = 64 * 1024 * 1024;
/** A full commit id: SHA-1, or SHA-256 in a repository that uses it. */
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Runs git in one working directory; every failure names the command and git's own words. */
export class Git {
  /** Commits refs resolved to, by ref; see `resolve`. */
  private readonly resolved = new Map<string, Promise<string>>();

  constructor(readonly cwd: string) {}

  run(args: readonly string[], options: { allowFail?: boolean } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('git', args, { cwd: this.cwd, maxBuffer: MAX_BUFFER, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } }, (err, stdout, stderr) => {
        if (err) {
          if (options.allowFail) return resolve('');
          const why = (stderr || err.message).trim().split('\n')[0];
          return reject(new DriftGuardError('git_failed', `git ${args.join(' ')} failed in ${this.cwd}: ${why}`, { cause: err }));
        }
        resolve(stdout);
      });
    });
  }

  /** Streams the output of a git command in chunks, in bounded memory; a failure names git's words. */
  async *stream(args: readonly string[]): AsyncGenerator<Buffer> {
    const child = spawn('git', args, { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    const closed = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
    closed.catch(() => undefined);
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
      const code = await closed;
      if (code !== 0) {
        throw new DriftGuardError('git_failed', `git ${args.join(' ')} failed in ${this.cwd}: ${stderr.trim().split('\n')[0] || `exit ${code}`}`);
      }
    } finally {
      if (child.exitCode === null) child.kill();
    }
  }

  /** Whether cwd is inside a git work tree; learnt once (see `probe`). */
  isRepository(): Promise<boolean> {
    this.inside ??= this.run(['rev-parse', '--is-inside-work-tree'], { allowFail: true }).then((out) => out.trim() === 'true');
    return this.inside;
  }

  private inside: Promise<boolean> | undefined;

  /**
   * Learns in one git process whether cwd is a work tree and which commits these refs name, so
   * that `isRepository` and `resolve` answer without starting git again. With `mergeBaseOf`
   * (two refs, base then head) it also learns their merge base from the same process
   * (`rev-parse BASE...HEAD` lists it as `^sha`), for `mergeBase` to answer; when the refs have no
   * single merge base (none, or several after criss-cross merges) `mergeBase` asks git itself.
   * Anything unusual (not a repository, a ref that names no commit, an option-like ref) leaves
   * them to ask one by one, so their answers and errors are exactly what they would have been.
   */
  async probe(refs: readonly string[], options: { mergeBaseOf?: readonly [string, string] } = {}): Promise<void> {
    const wanted = refs.filter((r) => !this.resolved.has(r));
    const pair = options.mergeBaseOf;
    if (this.inside || [...wanted, ...(pair ?? [])].some((r) => r === '' || r.startsWith('-') || r.includes('..'))) return;
    const args = ['rev-parse', '--is-inside-work-tree', ...wanted.map((r) => `${r}^{commit}`), ...(pair ? [`${pair[0]}...${pair[1]}`] : [])];
    const out = (await this.run(args, { allowFail: true })).split('\n');
    if (out[0] !== 'true' || !wanted.every((_, i) => SHA.test(out[i + 1] ?? ''))) return;
    this.inside ??= Promise.resolve(true);
    wanted.forEach((ref, i) => {
      if (!this.resolved.has(ref)) this.resolved.set(ref, Promise.resolve(this.known(out[i + 1]!)));
    });
    if (!pair) return;
    // After the refs: BASE...HEAD prints HEAD, BASE (as named), then ^ and each merge base.
    const symmetric = out.slice(wanted.length + 1).filter(Boolean);
    const bases = symmetric.filter((line) => line.startsWith('^')).map((line) => line.slice(1));
    if (symmetric.length !== 3 || bases.length !== 1 || !SHA.test(bases[0]!)) return;
    const [base, head] = await Promise.all([this.resolve(pair[0]).catch(() => ''), this.resolve(pair[1]).catch(() => '')]);
    if (base && head) this.mergeBases.set(`${base} ${head}`, bases[0]!);
  }

  private readonly mergeBases = new Map<string, string>();

  /**
   * The full sha of the commit a ref (sha, branch, tag, `HEAD`) names; rejects with git_failed when
   * it names no commit here. Remembered per Git instance: a ref's commit changes only when
   * something moves the ref, and DriftGuard never moves, fetches or creates refs while a command
   * runs. A failure is not remembered, so a ref that appears later is found.
   */
  resolve(ref: string): Promise<string> {
    let sha = this.resolved.get(ref);
    if (!sha) {
      sha = this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).then((out) => this.known(out.trim()));
      this.resolved.set(ref, sha);
      const failed = sha;
      failed.catch(() => this.resolved.get(ref) === failed && this.resolved.delete(ref));
    }
    return sha;
  }

  /** Records that a full sha names a commit (it resolves to itself); returns it. */
  private known(sha: string): string {
    if (SHA.test(sha) && !this.resolved.has(sha)) this.resolved.set(sha, Promise.resolve(sha));
    return sha;
  }

  /** The repository's default branch: origin's HEAD, else the first of main, master, trunk that exists. */
  async defaultBranch(): Promise<string> {
    const remoteHead = (await this.run(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], { allowFail: true })).trim();
    if (remoteHead) return remoteHead;
    for (const candidate of ['main', 'master', 'trunk', 'origin/main', 'origin/master']) {
      if (await this.resolve(candidate).catch(() => '')) return candidate;
    }
    throw new DriftGuardError('usage', `cannot tell the default branch of ${this.cwd}: no origin/HEAD, main or master; pass --base REF`);
  }

  /** The best common ancestor of two commits (`git merge-base`), or the one `probe` learnt for them. */
  async mergeBase(base: string, head: string): Promise<string> {
    const learnt = this.mergeBases.get(`${base} ${head}`);
    if (learnt) return this.known(learnt);
    return this.known((await this.run(['merge-base', base, head])).trim());
  }

  /** The content of a file at a commit, or undefined when it does not exist there. */
  async show(commit: string, path: string): Promise<string | undefined> {
    const type = (await this.run(['cat-file', '-t', `${commit}:${path}`], { allowFail: true })).trim();
    if (type !== 'blob') return undefined;
    return this.run(['cat-file', 'blob', `${commit}:${path}`]);
  }

  async listFiles(commit: string): Promise<string[]> {
    return (await this.run(['ls-tree', '-r', '--name-only', '-z', commit])).split('\0').filter(Boolean);
  }
}
