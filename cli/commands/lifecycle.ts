import { resolve } from 'node:path';
import type { ParsedArgs } from '../args.ts';
import { auditFileName, writeJsonAtomic } from '../../src/audit.ts';
import { DriftGuardError, ExitCode, describeError, isDriftGuardError } from '../../src/errors.ts';
import { eventForGitHub, intake, parseEventName, readPayload } from '../../src/intake.ts';
import type { LoadedPolicy } from '../../src/policy/load.ts';
import { inertText } from '../../src/report/inert.ts';
import { newRunId } from '../../src/run.ts';
import { cliDeps, loadPolicyFor, policyPath } from './shared.ts';

/**
 * `driftguard lifecycle`: applies one GitHub event to the pull request lifecycles of the policy
 * (labels, the status comment, one reply per refused attempt, the driftguard/lifecycle check) and
 * writes the transitions to the audit artifact. Inside Actions the event comes from
 * GITHUB_EVENT_NAME and GITHUB_EVENT_PATH; elsewhere from --event and --payload. On a pull request
 * the policy is read from its base commit. Exit 0 when the event was applied (a refused attempt
 * included), 2 for a bad policy or usage, 3 when GitHub could not be read or written.
 */
export default async function lifecycle(args: ParsedArgs): Promise<number> {
  const env = process.env;
  const payloadFile = (args.values.payload as string | undefined) ?? (env.GITHUB_ACTIONS === 'true' ? env.GITHUB_EVENT_PATH : undefined);
  const payload = payloadFile ? await readPayload(payloadFile) : undefined;
  let name = typeof args.values.event === 'string' ? parseEventName(args.values.event) : undefined;
  if (!name) {
    if (!env.GITHUB_EVENT_NAME) throw new DriftGuardError('usage', 'no event: pass --event EVENT and --payload FILE (inside GitHub Actions they come from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH)');
    name = eventForGitHub(env.GITHUB_EVENT_NAME, payload);
    if (!name) {
      process.stdout.write(`driftguard lifecycle: nothing to do for GitHub event ${inertText(env.GITHUB_EVENT_NAME)}\n`);
      return ExitCode.pass;
    }
  }
  const deps = cliDeps(args);
  const event = await intake({ event: name, payload, payloadSource: payloadFile, source: env.GITHUB_ACTIONS === 'true' ? 'github' : 'cli', git: deps.git, env });
  if (!event.repo) throw new DriftGuardError('usage', 'the event names no repository (payload or GITHUB_REPOSITORY)');

  let loaded: LoadedPolicy;
  if (event.pr && event.name !== 'pr_closed' && payload !== undefined) {
    const { policyFromBase } = await import('./run.ts');
    ({ loaded } = await policyFromBase(deps, policyPath(args, env), event));
  } else {
    loaded = await loadPolicyFor(args, env);
  }
  const policy = loaded.policy;
  if (Object.keys(policy.lifecycles).length === 0) {
    process.stdout.write(`driftguard lifecycle: ${loaded.file} declares no lifecycles\n`);
    return ExitCode.pass;
  }
  const dryRun = args.values['dry-run'] === true || policy.dry_run;
  const api = await deps.github(event.repo);
  const { createActionsApi } = await import('../../src/github/actions-api.ts');
  const actions = createActionsApi(deps, event.repo);
  const { enforceLifecycles } = await import('../../src/lifecycle/enforce.ts');
  const runId = newRunId(env, deps.now());
  const outcome = await enforceLifecycles({
    policy,
    event,
    api,
    pull: async (number) => {
      const refs = await actions.getPullRefs(number);
      return refs && { number: refs.number, state: refs.state, author: refs.author, headSha: refs.headSha, baseRef: refs.baseRef };
    },
    now: deps.now(),
    dryRun,
    log: deps.log,
  }).catch((err: unknown) => {
    if (isDriftGuardError(err)) throw err;
    // What GitHub answered (or did not): the run could not complete; labels already set stay, the next event rebuilds from them.
    throw new DriftGuardError('run_incomplete', `the lifecycle could not be applied: GitHub: ${describeError(err)}`, { cause: err });
  });
  const dir = resolve(deps.cwd, policy.audit.dir);
  const record = { format: 1, kind: 'lifecycle', runId, event: event.name, actor: event.actor, repository: event.repo.fullName, dryRun, policy: { file: loaded.file, hash: loaded.hash }, ...outcome };
  const file = await writeJsonAtomic(dir, auditFileName(`lifecycle-${event.name}`, runId), record, deps.redactor).catch((err: Error) => {
    throw new DriftGuardError('io_failed', `cannot write the audit artifact in ${dir}: ${err.message}`, { cause: err });
  });
  const lines = [
    ...outcome.transitions.map((t) => `TRANSITION #${t.pr} ${t.lifecycle}: ${t.from} -> ${t.to} by ${t.by}: ${t.why}${t.reason ? ` (reason: ${t.reason})` : ''}`),
    ...outcome.refusals.map((r) => `REFUSED #${r.pr} ${r.lifecycle} in ${r.state}, by ${r.by}: ${r.rule}${r.reverted ? ` (${r.reverted})` : ''}`),
    ...outcome.states.map((s) => `STATE #${s.pr} ${s.lifecycle}: ${s.state}${s.mergeable ? ' (may merge)' : ''}`),
    ...outcome.notes.map((n) => `note: ${n}`),
    ...(dryRun && outcome.writes.length > 0 ? [`dry run: ${outcome.writes.length} write(s) to GitHub not made`] : []),
    `audit: ${file}`,
  ];
  deps.out(`${lines.map((l) => inertText(l, 2000)).join('\n')}\n`);
  return ExitCode.pass;
}
