import { inertMarkdown, inertText } from '../../src/report/inert.ts';
import { rm } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import { writeJsonAtomic } from '../../src/audit.ts';
import type { RunResult } from '../../src/engine.ts';
import type { ParsedArgs } from '../args.ts';
import type { Deps } from '../../src/deps.ts';
import { DriftGuardError, isDriftGuardError } from '../../src/errors.ts';
import { LIFECYCLE_EVENTS, type DriftEvent, type EventName } from '../../src/events.ts';
import { eventForGitHub, intake, parseEventName, readPayload } from '../../src/intake.ts';
import { loadPolicyText, type LoadedPolicy } from '../../src/policy/load.ts';
import { executeRun, type GitHubContext } from '../../src/run.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { checkShardOption, cliDeps, loadPolicyFor, logSettings, parseFormat, policyPath } from './shared.ts';

/**
 * On a pull request, the policy comes from the base commit, never from the head: a PR must not be
 * able to weaken the rules that judge it. When the PR changes the policy, the new version is
 * validated in a check of its own.
 */
export async function policyFromBase(deps: Deps, file: string, event: DriftEvent): Promise<{ loaded: LoadedPolicy; check?: GitHubContext['policyCheck'] }> {
  const pr = event.pr!;
  // Jobs that may write check nothing out: outside a clone, every file comes from the API.
  const prefix = (await deps.git.isRepository()) ? (await deps.git.run(['rev-parse', '--show-prefix'])).trim() : '';
  const path = posix.normalize(posix.join(prefix, file.replace(/\\/g, '/')));
  // A shallow clone lacks the base commit: then the policy comes from GitHub at that commit.
  const local = Boolean(await deps.git.resolve(pr.baseSha).catch(() => ''));
  const api = !local && event.repo && deps.env.GITHUB_TOKEN ? await deps.github(event.repo) : undefined;
  if (!local && !api) {
    throw new DriftGuardError('git_failed', `the base commit ${pr.baseSha.slice(0, 12)} is not in the local clone and GITHUB_TOKEN is not set; check out with full history (actions/checkout with fetch-depth: 0) or pass the token`);
  }
  const read = (sha: string) => (api ? api.fileAt(path, sha) : deps.git.show(sha, path));
  const baseText = await read(pr.baseSha);
  if (baseText === undefined) {
    throw new DriftGuardError('policy_unreadable', `${path} does not exist on the base branch (${pr.baseRef} at ${pr.baseSha.slice(0, 12)}); DriftGuard reads the policy from the base so that a pull request cannot change the rules that judge it: merge the policy first`);
  }
  const loaded = await loadPolicyText(`${path}@${pr.baseSha.slice(0, 12)}`, baseText, REGISTRY);
  const headText = api ? await api.fileAt(path, pr.headSha) : (await deps.git.resolve(pr.headSha).catch(() => '')) ? await deps.git.show(pr.headSha, path) : undefined;
  if (headText === undefined || headText === baseText) return { loaded };
  try {
    await loadPolicyText(`${path}@${pr.headSha.slice(0, 12)}`, headText, REGISTRY);
    return { loaded, check: { conclusion: 'success', title: `${path} changes in this pull request; the new version is valid`, summary: 'The policy of the base branch judged this pull request. The new rules take effect once merged.' } };
  } catch (err) {
    if (!isDriftGuardError(err)) throw err;
    // The problems quote the pull request's own YAML: rendered inert, like every PR-controlled text.
    return { loaded, check: { conclusion: 'failure', title: `${path} in this pull request is not a valid policy`, summary: [inertMarkdown(err.message, 2000), ...err.details.map((d) => `- ${inertMarkdown(d, 2000)}`)].join('\n') } };
  }
}

export default async function run(args: ParsedArgs): Promise<number> {
  const env = process.env;
  const format = parseFormat(args.values.format);
  const verdictDir = args.values['verdict-dir'] as string | undefined;
  // A verdict file already in the folder must never pass for this run's, even when this run fails early.
  if (verdictDir !== undefined) {
    await rm(resolve(verdictDir, 'driftguard-verdict.json'), { force: true }).catch((err: NodeJS.ErrnoException) => {
      throw new DriftGuardError('usage', `--verdict-dir ${verdictDir} is not a folder DriftGuard can write in (${err.code ?? err.message})`);
    });
  }
  const inActions = env.GITHUB_ACTIONS === 'true';
  let eventName: EventName | undefined = typeof args.values.event === 'string' ? parseEventName(args.values.event) : undefined;
  let payloadFile = args.values.payload as string | undefined;
  if (!payloadFile && inActions && env.GITHUB_EVENT_PATH && !eventName) payloadFile = env.GITHUB_EVENT_PATH;
  // Inside Actions the event's payload decides what runs: without it, a pull request would look
  // like an event with nothing to do and pass.
  if (!payloadFile && inActions && !eventName && env.GITHUB_EVENT_NAME) {
    throw new DriftGuardError('usage', `GITHUB_EVENT_NAME is ${env.GITHUB_EVENT_NAME} but GITHUB_EVENT_PATH is not set: the event's payload is needed (GitHub Actions sets it; elsewhere pass --payload FILE or --event EVENT)`);
  }

  // Outside a GitHub pull request the policy file is validated before anything else happens.
  const fromGitHub = inActions && payloadFile !== undefined;
  let loaded = fromGitHub ? undefined : await loadPolicyFor(args, env);
  const deps = cliDeps(args, loaded?.policy.log.level);
  const payload = payloadFile ? await readPayload(payloadFile) : undefined;

  if (!eventName) {
    if (!inActions || !env.GITHUB_EVENT_NAME) {
      throw new DriftGuardError('usage', 'no event: pass --event EVENT (inside GitHub Actions it comes from GITHUB_EVENT_NAME)');
    }
    eventName = eventForGitHub(env.GITHUB_EVENT_NAME, payload);
    if (!eventName || LIFECYCLE_EVENTS.includes(eventName)) {
      const action = (payload as { action?: string } | undefined)?.action;
      process.stdout.write(`driftguard: nothing to do for GitHub event ${env.GITHUB_EVENT_NAME}${action ? `.${action}` : ''}\n`);
      return 0;
    }
  }

  const event = await intake({
    event: eventName,
    payload,
    payloadSource: payloadFile,
    source: inActions ? 'github' : 'cli',
    git: deps.git,
    env,
    base: args.values.base as string | undefined,
    head: args.values.head as string | undefined,
  });

  // Checked before anything runs: a verdict file is for a publisher job, about a GitHub pull request.
  if (verdictDir !== undefined && (!event.pr || !event.repo)) {
    throw new DriftGuardError('usage', '--verdict-dir needs a pull request event from GitHub (repository and pull request in the payload); nothing was run');
  }

  // A local pull request check whose head is already in its base has nothing to judge.
  if (!payload && event.change.kind === 'git' && event.change.base === event.change.head) {
    const headRef = (args.values.head as string | undefined) ?? 'HEAD';
    const baseRef = (args.values.base as string | undefined) ?? 'the default branch';
    const message = `nothing to compare: ${inertText(headRef, 200)} (${event.change.head.slice(0, 12)}) adds no commits to ${inertText(baseRef, 200)}; check out a branch with changes, or pass --base REF / --head REF`;
    // Machine-readable formats stay parseable: the same outcome as a JSON object, not a sentence.
    if (format === 'json') process.stdout.write(`${JSON.stringify({ outcome: 'nothing_to_compare', exitCode: 0, event: event.name, base: event.change.base, head: event.change.head, message })}\n`);
    else process.stdout.write(`driftguard: ${message}\n`);
    return 0;
  }

  const shard = args.values.shard as string | undefined;
  checkShardOption(shard);
  const provider = args.values.provider as string | undefined;
  if (provider !== undefined && !['aws', 'azure', 'gcp'].includes(provider)) throw new DriftGuardError('usage', `--provider must be aws, azure or gcp, got "${provider}"`);
  const scope = { shard, provider, region: args.values.region as string | undefined, environment: args.values.environment as string | undefined };
  if (Object.values(scope).some((v) => v !== undefined)) {
    event.inputs = { ...event.inputs, ...Object.fromEntries(Object.entries(scope).filter(([, v]) => v !== undefined)) };
  }

  if (event.name === 'downstream_result') {
    const verdict = args.values.verdict as string | undefined;
    if (verdict !== 'pass' && verdict !== 'fail') throw new DriftGuardError('usage', `--event downstream_result needs --verdict pass or --verdict fail${verdict ? `, got "${verdict}"` : ''}`);
    const dependent = env.GITHUB_REPOSITORY ?? event.repo?.fullName;
    event.inputs = { ...event.inputs, verdict, dependent, ...(args.values['run-url'] ? { run_url: args.values['run-url'] } : {}) };
  }

  let policyCheck: GitHubContext['policyCheck'];
  if (!loaded) {
    if (event.pr && event.name !== 'pr_closed') ({ loaded, check: policyCheck } = await policyFromBase(deps, policyPath(args, env), event));
    else loaded = await loadPolicyFor(args, env);
    deps.log.level = logSettings(args, env, loaded.policy.log.level).level;
  }

  const steps = loaded.policy.workflows[event.name] ?? [];
  const requireOidc = loaded.policy.auth.require_oidc === 'always' || (loaded.policy.auth.require_oidc === 'auto' && inActions);
  if (requireOidc && steps.some((id) => REGISTRY.get(id)?.cloud)) {
    const { refuseStaticCredentials } = await import('../../src/auth/require-oidc.ts');
    refuseStaticCredentials(env, loaded.policy.auth);
  }
  const { defaultCloudClients } = await import('../../src/clouds.ts');
  deps.clouds = defaultCloudClients(deps, loaded.policy.auth);

  let github: GitHubContext | undefined;
  if (inActions && event.repo) {
    github = {
      api: env.GITHUB_TOKEN ? await deps.github(event.repo) : undefined,
      runUrl: env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${event.repo.fullName}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
      summaryFile: env.GITHUB_STEP_SUMMARY || undefined,
      policyCheck,
    };
  }
  const forceDryRun = args.values['dry-run'] === true;

  const { result } = await executeRun({ loaded, registry: REGISTRY, event, deps, forceDryRun, format, github });
  if (verdictDir !== undefined) await writeVerdict(verdictDir, result, deps);
  if (github?.api && event.name === 'pr_comment' && granted(result) && !(forceDryRun || loaded.policy.dry_run)) {
    return Math.max(result.exitCode, await reevaluate(deps, args, event, github, format));
  }
  return result.exitCode;
}

/** The verdict file a publisher job takes over (forks: their job may not write to GitHub). */
async function writeVerdict(dir: string, result: RunResult, deps: Deps): Promise<void> {
  const { toVerdictFile, VERDICT_FILE } = await import('../../src/github/verdict-file.ts');
  const { formatMarkdown } = await import('../../src/report/format.ts');
  const file = await writeJsonAtomic(resolve(deps.cwd, dir), VERDICT_FILE, toVerdictFile(result, formatMarkdown(result)), deps.redactor).catch((err: Error) => {
    throw new DriftGuardError('io_failed', `cannot write the verdict file in ${dir}: ${err.message}`, { cause: err });
  });
  deps.log.info({ file }, 'verdict file written');
}

const granted = (result: RunResult) => result.steps.some((s) => s.module === 'override' && s.outcome.decisions.some((d) => d.decision === 'granted'));

/**
 * After a granted override, the pull request's head is checked again and the result published,
 * so the checks a branch protection requires carry the override. The head, the base and the
 * policy come from GitHub (the PR's code is read as data, never run); whether the override holds
 * is decided again by the same lookup every pull request run makes.
 */
async function reevaluate(deps: Deps, args: ParsedArgs, comment: DriftEvent, github: GitHubContext, format: ReturnType<typeof parseFormat>): Promise<number> {
  const { createActionsApi } = await import('../../src/github/actions-api.ts');
  const { pullEvent, pullWorkflow } = await import('../../src/github/pull-event.ts');
  const pull = await createActionsApi(deps, comment.repo!).getPullRefs(comment.comment!.issueNumber);
  if (!pull || pull.state !== 'open') {
    deps.log.info({ pr: comment.comment!.issueNumber }, 'the pull request is not open; its checks are left as they are');
    return 0;
  }
  const probe = pullEvent('pr_synchronize', comment.repo!, pull, comment.actor, deps.cwd);
  const { loaded, check } = await policyFromBase(deps, policyPath(args, deps.env), probe);
  const name = pullWorkflow(loaded.policy);
  if (!name) return 0;
  const event = { ...probe, name };
  deps.log.info({ pr: pull.number, sha: pull.headSha, event: name }, 're-evaluating the head after the override');
  const { result } = await executeRun({ loaded, registry: REGISTRY, event, deps, forceDryRun: false, format, github: { ...github, policyCheck: check } });
  return result.exitCode;
}
