import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type { ParsedArgs } from '../args.ts';
import type { Deps } from '../../src/deps.ts';
import { DriftGuardError } from '../../src/errors.ts';
import type { RepoRef } from '../../src/events.ts';
import { ArtifactTooLarge, createActionsApi, type ActionsApi, type WorkflowRun } from '../../src/github/actions-api.ts';
import { pullEvent } from '../../src/github/pull-event.ts';
import { replayRegistry } from '../../src/github/replay.ts';
import { MAX_ARTIFACT_BYTES, MAX_VERDICT_BYTES, parseVerdictFile, VERDICT_ARTIFACT, VERDICT_FILE, type VerdictFile } from '../../src/github/verdict-file.ts';
import { readZipEntry } from '../../src/github/zip.ts';
import { readPayload } from '../../src/intake.ts';
import type { StepOutcome } from '../../src/module.ts';
import { executeRun } from '../../src/run.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { policyFromBase } from './run.ts';
import { cliDeps, logSettings, parseFormat, policyPath } from './shared.ts';

/** A run whose workflow the pull request itself changed used the PR's steps: its verdict proves nothing. */
const WORKFLOW_FILES = picomatch(['.github/workflows/**'], { dot: true });

const refuse = (message: string, details?: string[]) => new DriftGuardError('payload_invalid', `${message}; nothing was published`, { details });

function repoFromEnv(env: Readonly<Record<string, string | undefined>>): RepoRef {
  const full = env.GITHUB_REPOSITORY ?? '';
  const match = /^([\w.-]+)\/([\w.-]+)$/.exec(full);
  if (!match) throw new DriftGuardError('usage', 'GITHUB_REPOSITORY is not set (owner/name): publish runs inside GitHub Actions, in the repository that receives the verdict');
  return { owner: match[1]!, name: match[2]!, fullName: full };
}

async function runIdFrom(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  let raw = args.values['run-id'] as string | undefined;
  if (raw === undefined && env.GITHUB_EVENT_NAME === 'workflow_run' && env.GITHUB_EVENT_PATH) {
    // The trigger's payload is GitHub's, not the pull request's; only the run id is taken from it.
    const id = ((await readPayload(env.GITHUB_EVENT_PATH)) as { workflow_run?: { id?: unknown } }).workflow_run?.id;
    raw = typeof id === 'number' ? String(id) : undefined;
  }
  if (raw === undefined) throw new DriftGuardError('usage', 'no workflow run: pass --run-id ID (on a workflow_run event it comes from the event)');
  if (!/^\d{1,20}$/.test(raw)) throw new DriftGuardError('usage', `--run-id must be a number, got "${raw}"`);
  return Number(raw);
}

/** The verdict file: from a downloaded folder (--artifact), else the run's artifact through the API, bounded either way. */
async function readVerdict(actions: ActionsApi, run: WorkflowRun, dir: string | undefined): Promise<VerdictFile> {
  if (dir !== undefined) {
    const file = join(dir, VERDICT_FILE);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw refuse(`${file} does not exist`);
    if (info.size > MAX_VERDICT_BYTES) throw refuse(`${file} is ${info.size} bytes, over the ${MAX_VERDICT_BYTES}-byte limit`);
    return parseVerdictFile(await readFile(file), file);
  }
  const named = (await actions.listRunArtifacts(run.id)).filter((a) => a.name === VERDICT_ARTIFACT);
  if (named.length === 0) throw refuse(`workflow run ${run.id} has no ${VERDICT_ARTIFACT} artifact (did its DriftGuard step run with verdict-dir?)`);
  if (named.length > 1) throw refuse(`workflow run ${run.id} has ${named.length} artifacts named ${VERDICT_ARTIFACT}`);
  const artifact = named[0]!;
  if (artifact.expired) throw refuse(`the ${VERDICT_ARTIFACT} artifact of workflow run ${run.id} has expired`);
  if (artifact.sizeInBytes > MAX_ARTIFACT_BYTES) throw refuse(`the ${VERDICT_ARTIFACT} artifact of workflow run ${run.id} is ${artifact.sizeInBytes} bytes, over the ${MAX_ARTIFACT_BYTES}-byte limit`);
  const where = `artifact ${VERDICT_ARTIFACT} of workflow run ${run.id}`;
  let zip: Buffer;
  try {
    zip = await actions.downloadArtifact(artifact.id, MAX_ARTIFACT_BYTES);
  } catch (err) {
    if (err instanceof ArtifactTooLarge) throw refuse(`the ${where} is over the ${MAX_ARTIFACT_BYTES}-byte limit`);
    throw err;
  }
  let bytes: Buffer | undefined;
  try {
    bytes = readZipEntry(zip, VERDICT_FILE, MAX_VERDICT_BYTES);
  } catch (err) {
    throw refuse(`the ${where} cannot be read: ${(err as Error).message}`);
  }
  if (!bytes) throw refuse(`the ${where} holds no ${VERDICT_FILE}`);
  return parseVerdictFile(bytes, where);
}

/**
 * Publishes the verdict of a pull request run that could not write to GitHub itself (a PR from a
 * fork runs with a read-only token). Trusted: this job's own code and policy (the default
 * branch's), and GitHub's answers about the run and the pull request. Not trusted: anything in
 * the artifact; it is bounded, validated, and must agree with GitHub on the repository, the pull
 * request and the head commit. The pull request's code is never checked out or run here.
 */
export default async function publish(args: ParsedArgs): Promise<number> {
  const env = process.env;
  const format = parseFormat(args.values.format);
  const deps: Deps = cliDeps(args);
  const repo = repoFromEnv(env);
  const runId = await runIdFrom(args, env);
  const actions = createActionsApi(deps, repo);
  const run = await actions.getWorkflowRun(runId);

  if (run.event !== 'pull_request') throw refuse(`workflow run ${run.id} was triggered by ${run.event}, not by a pull request`);
  if (run.headRepository === repo.fullName && args.values.artifact === undefined) {
    deps.out(`driftguard: workflow run ${run.id} is for a branch of ${repo.fullName}; its own job reported with a write token, so there is nothing to publish\n`);
    return 0;
  }

  const verdict = await readVerdict(actions, run, args.values.artifact as string | undefined);
  if (verdict.repository !== repo.fullName) throw refuse(`the verdict is for ${verdict.repository}, not ${repo.fullName}`);
  if (verdict.headSha !== run.headSha) throw refuse(`the verdict is for commit ${verdict.headSha.slice(0, 12)}, but workflow run ${run.id} ran on ${run.headSha.slice(0, 12)}`);
  // Which pull request the run was for, from GitHub: the run's own list (branches of this
  // repository), else the open pull requests whose head is the run's repository and branch (forks).
  const owner = run.headRepository.split('/')[0] ?? '';
  const belongs = run.pullRequests.length > 0 ? run.pullRequests.map((p) => p.number) : (await actions.findOpenPulls(owner, run.headBranch)).filter((p) => p.headRepository === run.headRepository).map((p) => p.number);
  if (belongs.length === 0) {
    deps.out(`driftguard: no open pull request has ${run.headRepository}:${run.headBranch} as its head (closed since workflow run ${run.id}?); nothing was published\n`);
    return 0;
  }
  if (!belongs.includes(verdict.pullRequest)) {
    throw refuse(`the verdict names pull request #${verdict.pullRequest}, but workflow run ${run.id} belongs to ${belongs.map((n) => `#${n}`).join(', ')}`);
  }
  const pull = await actions.getPullRefs(verdict.pullRequest);
  if (!pull) throw refuse(`the verdict names pull request #${verdict.pullRequest}, which does not exist in ${repo.fullName}`);
  if (pull.baseRepository !== repo.fullName || pull.headRepository !== run.headRepository || pull.headRef !== run.headBranch) {
    throw refuse(`the verdict names pull request #${pull.number} (${pull.headRepository}:${pull.headRef}), but workflow run ${run.id} ran on ${run.headRepository}:${run.headBranch}`);
  }
  if (pull.state !== 'open') {
    deps.out(`driftguard: pull request #${pull.number} is ${pull.state}; nothing was published\n`);
    return 0;
  }
  if (pull.headSha !== run.headSha) {
    deps.out(`driftguard: pull request #${pull.number} has moved on to ${pull.headSha.slice(0, 12)} since workflow run ${run.id} (${run.headSha.slice(0, 12)}); the newer run publishes its own verdict, nothing was published\n`);
    return 0;
  }

  const event = { ...pullEvent(verdict.event, repo, pull, run.actor, deps.cwd), change: { kind: 'none' } as const };
  const { loaded, check } = await policyFromBase(deps, policyPath(args, env), event);
  deps.log.level = logSettings(args, env, loaded.policy.log.level).level;
  const expected = loaded.policy.workflows[event.name] ?? [];
  const given = verdict.steps.map((s) => s.module);
  if (given.length !== expected.length || given.some((m, i) => m !== expected[i])) {
    throw refuse(`the verdict's steps (${given.join(', ') || 'none'}) are not the ${event.name} workflow of the policy on ${pull.baseRef} (${expected.join(', ') || 'none'})`);
  }

  const github = await deps.github(repo);
  const workflowChanges = (await github.listPullFiles(pull.number)).filter((f) => WORKFLOW_FILES(f));
  const outcomes = new Map<string, StepOutcome>();
  for (const step of verdict.steps) {
    const replayed = { subject: `workflow run ${run.id}`, decision: 'published', reason: `the verdict of ${run.htmlUrl}, checked against the run and pull request #${pull.number}` };
    outcomes.set(
      step.module,
      workflowChanges.length > 0
        ? {
            verdict: 'fail',
            summary: `not published: this pull request changes ${workflowChanges.slice(0, 3).join(', ')}, so its run used the pull request's own workflow and its verdict cannot be trusted; a maintainer reviews the change`,
            findings: [],
            actions: [],
            decisions: [{ ...replayed, decision: 'distrusted', reason: `the pull request changes ${workflowChanges.join(', ')}` }],
          }
        : { verdict: step.verdict, summary: step.summary, findings: step.findings, actions: [], decisions: [replayed] },
    );
  }

  const registry = replayRegistry(REGISTRY, outcomes, [event.name]);
  const { result } = await executeRun({
    loaded,
    registry,
    event,
    deps,
    forceDryRun: args.values['dry-run'] === true,
    format,
    github: { api: github, runUrl: run.htmlUrl, summaryFile: env.GITHUB_STEP_SUMMARY || undefined, policyCheck: check },
  });
  return result.exitCode;
}
