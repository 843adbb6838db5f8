import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

/** Every command of every ```sh block of DEMO.md, in order, with its expected exit code. */
const commands = [...readFileSync('DEMO.md', 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1]!.split('\n'))
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const exit = /\s+#\s*exit (\d+)$/.exec(l);
    return { line: l.replace(/\s+#.*$/, ''), exit: exit ? Number(exit[1]) : 0 };
  });

const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) };

afterAll(() => {
  rmSync('.driftguard-demo', { recursive: true, force: true });
});

describe('DEMO.md', () => {
  it('has the commands the walkthrough promises', () => {
    expect(commands.length).toBeGreaterThan(10);
  });

  it('every command runs as written, pasted into one shell in order, with the exit code and outcome described', { timeout: 240_000 }, () => {
    rmSync('.driftguard-demo', { recursive: true, force: true });
    // One bash for the whole page, as a reader pasting it would have: a `cd` or an exported
    // variable that leaked out of one command would change the next. Markers split the output.
    const script = [
      "trap 'kill $(jobs -p) 2>/dev/null' EXIT",
      ...commands.map(({ line }, i) => (line.endsWith('&') ? line : `echo "__DG_START_${i}__"\n${line}\necho "__DG_EXIT_${i}__=$?"`)),
    ].join('\n');
    const run = spawnSync('bash', ['-c', script], { env, encoding: 'utf8', timeout: 230_000 });
    const outputs = commands.map(({ line, exit }, i) => {
      if (line.endsWith('&')) return '';
      const found = new RegExp(`__DG_START_${i}__\\n([\\s\\S]*?)__DG_EXIT_${i}__=(\\d+)`).exec(run.stdout);
      expect(found, `${line} did not run\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`).not.toBeNull();
      expect(Number(found![2]), `${line}\n${found![1]}\n${run.stderr.slice(-2000)}`).toBe(exit);
      return found![1]!;
    });
    const at = (fragment: string, nth = 0) => outputs.filter((_, i) => commands[i]!.line.includes(fragment))[nth] ?? '';
    expect(at('npm run demo --')).toContain('src/config.ts:5  RETRY_BUDGET_MS');
    expect(at('graph')).toContain('routing --> pr_opened: event pr_opened');
    expect(at('cat .driftguard-demo/repo/.artifacts')).toContain('"decision": "undocumented"');
    expect(at('GITHUB_EVENT_NAME=issue_comment', 0)).toContain("REFUSED override: override refused: riley has read permission; overrides need write; the pull request's checks are unchanged");
    expect(at('GITHUB_EVENT_NAME=issue_comment', 1)).toContain('GRANTED override: override granted by maya');
    expect(at('GITHUB_EVENT_NAME=pull_request', 1)).toContain('doc_sync overridden by @maya: the docs come in the next PR');
    expect(at('janitor-policy.yaml')).toMatch(/dg-pr-41-artifacts .*DELETE/);
    expect(at('janitor-policy.yaml')).toContain('would delete aws s3_bucket dg-pr-41-artifacts');
    expect(at('janitor-live-policy.yaml')).toContain('1 of 1 eligible resources deleted');
    expect(at('cat .driftguard-demo/audit')).toContain('"decision": "deleted"');
  });
});
