import type { Deps } from '../../src/deps.ts';
import { Git } from '../../src/git.ts';
import type { StepContext, StepOutcome } from '../../src/module.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { docSync } from '../../modules/doc-sync/index.ts';
import type { DocSyncConfig } from '../../modules/doc-sync/schema.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { testDeps } from './deps.ts';
import { TestRepo } from './git-repo.ts';

/** Runs the doc synchronizer's plan on a real git change, with the policy slice given as YAML. */
export async function docSyncOn(
  base: Record<string, string>,
  change: Record<string, string | null>,
  options: { slice?: string; env?: Record<string, string>; deps?: Partial<Deps>; signal?: AbortSignal } = {},
): Promise<StepOutcome & { logs: string[] }> {
  const { repo, base: baseSha, head } = TestRepo.withChange(base, change);
  try {
    const slice = options.slice ?? 'ai: { enabled: false }';
    const text = `version: 1\nmodules:\n  doc_sync:\n${slice.split('\n').map((l) => `    ${l}`).join('\n')}\n`;
    const policy = await parsePolicy('policy.yaml', text, REGISTRY);
    const deps = testDeps({ cwd: repo.dir, env: options.env ?? {} });
    Object.assign(deps, { git: new Git(repo.dir) }, options.deps);
    const ctx: StepContext<DocSyncConfig> = {
      runId: 'test',
      event: { name: 'pr_opened', source: 'cli', actor: 'tester', change: { kind: 'git', cwd: repo.dir, base: baseSha, head } },
      config: policy.modules.doc_sync as never,
      policy,
      policyFile: 'policy.yaml',
      dryRun: true,
      deps,
      log: deps.log,
      signal: options.signal ?? new AbortController().signal,
      now: new Date(),
      state: new Map(),
    };
    const outcome = await docSync.plan(ctx);
    return { ...outcome, logs: deps.logs };
  } finally {
    repo.remove();
  }
}

export const names = (outcome: StepOutcome) => outcome.findings.map((f) => f.title).sort();
