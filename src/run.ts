import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { auditFileName, auditRecord, writeJsonAtomic } from './audit.ts';
import type { Deps } from './deps-types.ts';
import { DriftGuardError, describeError } from './errors.ts';
import { buildMachine, runEngine, type RunResult } from './engine.ts';
import type { DriftEvent } from './events.ts';
import type { GitHubApi } from './github/api.ts';
import type { ModuleRegistry } from './module.ts';
import type { LoadedPolicy } from './policy/load.ts';
import { formatResult, formatMarkdown, type Format } from './report/format.ts';

export function newRunId(env: Readonly<Record<string, string | undefined>>, now: Date): string {
  if (env.GITHUB_RUN_ID) return `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Reporting to GitHub, when the run happens inside GitHub Actions for a repository. */
export interface GitHubContext {
  /** Undefined when there is no token: nothing can be read or written. */
  api: GitHubApi | undefined;
  runUrl?: string;
  summaryFile?: string;
  /** A check of the PR's own policy changes, published beside the module checks. */
  policyCheck?: { conclusion: 'success' | 'failure'; title: string; summary: string };
}

export interface ExecuteOptions {
  loaded: LoadedPolicy;
  registry: ModuleRegistry;
  event: DriftEvent;
  deps: Deps;
  /** --dry-run: forces dry-run whatever the policy says. */
  forceDryRun: boolean;
  format: Format;
  runId?: string;
  github?: GitHubContext;
}

export interface ExecuteResult {
  result: RunResult;
  auditFile?: string;
}

/** A PR's invalid policy change blocks it; an override never covers that. */
function withPolicyCheck(result: RunResult, check: GitHubContext['policyCheck']): RunResult {
  if (!check || check.conclusion === 'success' || result.outcome === 'error') return result;
  return { ...result, outcome: 'blocked', exitCode: 1, reason: `${result.reason}; ${check.title}` };
}

/**
 * One complete run: the engine, then reporting: GitHub (checks, sticky comment), the audit
 * artifact, the job summary, and the report on stdout. What was written to GitHub, or would have
 * been in dry-run, goes into the audit artifact too.
 */
export async function executeRun(options: ExecuteOptions): Promise<ExecuteResult> {
  const { loaded, registry, event, deps, github } = options;
  const policy = loaded.policy;
  const dryRun = options.forceDryRun || policy.dry_run;
  const runId = options.runId ?? newRunId(deps.env, deps.now());
  let auditFile: string | undefined;
  let publishError: unknown;
  let written: Array<{ method: string; path: string; body: Record<string, unknown>; done: boolean }> = [];

  const findOverride = async () => {
    if (!github?.api || !event.pr) return undefined;
    const { activeOverride } = await import('./github/override.ts');
    return activeOverride(github.api, {
      prNumber: event.pr.number,
      prAuthor: event.pr.author,
      headSha: event.pr.headSha,
      settings: policy.overrides,
      botLogin: policy.github.bot_login,
      policyFile: loaded.file.replace(/@[0-9a-f]+$/, ''),
    }, (comment, rule) => deps.log.info({ commentId: comment.id, by: comment.author, why: rule }, 'override comment not applied'));
  };

  const report = async (engineResult: RunResult) => {
    const run = withPolicyCheck(engineResult, github?.policyCheck);
    if (github && event.repo) {
      try {
        const { publish } = await import('./github/report.ts');
        const extraChecks = github.policyCheck ? [{ name: 'driftguard/policy', ...github.policyCheck }] : [];
        const ownChecks = [...registry.values()].filter((m) => m.ownCheck).map((m) => m.id);
        written = (await publish({ api: github.api, result: run, settings: policy.github, dryRun, runUrl: github.runUrl, extraChecks, ownChecks })).writes;
        if (!dryRun && !github.api) deps.log.warn('GITHUB_TOKEN is not set: nothing was reported to GitHub');
      } catch (err) {
        publishError = err;
        deps.log.error({ error: describeError(err) }, 'reporting to GitHub failed');
      }
    }
    const dir = resolve(deps.cwd, policy.audit.dir);
    // Chat notifications never fail the run: what became of each goes into the artifact.
    let notifications: unknown[] | undefined;
    if (policy.notifications.enabled) {
      try {
        const { notify } = await import('./notify/send.ts');
        notifications = await notify({ settings: policy.notifications, result: run, deps, auditDir: dir, runUrl: github?.runUrl, dryRun });
      } catch (err) {
        notifications = [{ status: 'failed', detail: describeError(err) }];
        deps.log.warn({ error: describeError(err) }, 'notifications failed (the run goes on)');
      }
    }
    try {
      const record = { ...auditRecord(run, { file: loaded.file, hash: loaded.hash }), github: { writes: written, error: publishError ? describeError(publishError) : undefined }, ...(notifications?.length ? { notifications } : {}) };
      auditFile = await writeJsonAtomic(dir, auditFileName(event.name, runId), record, deps.redactor);
    } catch (err) {
      throw new DriftGuardError('io_failed', `cannot write the audit artifact in ${dir}: ${(err as Error).message}`, { cause: err });
    }
    deps.log.info({ runId, auditFile }, 'audit artifact written');
    if (github?.summaryFile) await appendFile(github.summaryFile, deps.redactor.scrub(await summary(run, options, written)));
    if (publishError) throw new DriftGuardError('run_incomplete', `reporting to GitHub failed: ${describeError(publishError)}`, { cause: publishError });
  };

  const engineResult = await runEngine({ policy, policyFile: loaded.file, registry, event, dryRun, deps, runId, report, findOverride });
  const result = withPolicyCheck(engineResult, github?.policyCheck);
  deps.out(formatResult(result, options.format, { auditFile, githubWrites: written, ...deps.style }));
  return { result, auditFile };
}

async function summary(result: RunResult, options: ExecuteOptions, writes: unknown[]): Promise<string> {
  const { toMermaid } = await import('./graph.ts');
  const machine = buildMachine(options.loaded.policy, options.registry);
  const parts = [formatMarkdown(result), '<details><summary>Path through the state machine</summary>', '', '```mermaid', toMermaid(machine, { event: result.event.name, visited: result.path }).trimEnd(), '```', '', '</details>', ''];
  if (result.dryRun && writes.length > 0) {
    parts.push('<details><summary>Dry run: what would have been written to GitHub</summary>', '', '```json', JSON.stringify(writes, null, 2), '```', '', '</details>', '');
  }
  return parts.join('\n');
}

