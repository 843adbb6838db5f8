import type { ParsedArgs } from '../cli.ts';
import { DriftGuardError } from '../errors.ts';
import type { EventName } from '../events.ts';
import { eventForGitHub, intake, parseEventName, readPayload } from '../intake.ts';
import { executeRun } from '../run.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { cliDeps, loadPolicyFor, parseFormat } from './shared.ts';

export default async function run(args: ParsedArgs): Promise<number> {
  const env = process.env;
  const format = parseFormat(args.values.format);
  // The policy is validated before anything else happens: an invalid one means nothing runs.
  const loaded = await loadPolicyFor(args, env);
  const deps = cliDeps(args, loaded.policy.log.level);

  const inActions = env.GITHUB_ACTIONS === 'true';
  let eventName: EventName | undefined = typeof args.values.event === 'string' ? parseEventName(args.values.event) : undefined;
  let payloadFile = args.values.payload as string | undefined;
  if (!payloadFile && inActions && env.GITHUB_EVENT_PATH && !eventName) payloadFile = env.GITHUB_EVENT_PATH;
  const payload = payloadFile ? await readPayload(payloadFile) : undefined;

  if (!eventName) {
    if (!inActions || !env.GITHUB_EVENT_NAME) {
      throw new DriftGuardError('usage', 'no event: pass --event EVENT (inside GitHub Actions it comes from GITHUB_EVENT_NAME)');
    }
    eventName = eventForGitHub(env.GITHUB_EVENT_NAME, payload);
    if (!eventName) {
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
  const { result } = await executeRun({ loaded, registry: REGISTRY, event, deps, forceDryRun: args.values['dry-run'] === true, format });
  return result.exitCode;
}
