import { DriftGuardError, ExitCode } from '../../src/errors.ts';
import { intake } from '../../src/intake.ts';
import { inertText } from '../../src/report/inert.ts';
import { executeRun, type GitHubContext } from '../../src/run.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { DOMAINS, type StandardsConfig } from '../../modules/standards/schema.ts';
import type { ParsedArgs } from '../args.ts';
import { checkShardOption, cliDeps, loadPolicyFor, parseFormat } from './shared.ts';

const USAGE = 'usage: driftguard standards scan [--org ORG] [--repo OWNER/NAME] [--domain process|code|infra] [--dry-run] [--shard i/n]\n       driftguard standards audit [--org ORG] [--threshold N] [--dry-run]';

/** `driftguard standards scan|audit`: the standards module alone, or the audit of open drift issues. */
export default async function standardsCommand(args: ParsedArgs): Promise<number> {
  const sub = args.positionals[0];
  if ((sub !== 'scan' && sub !== 'audit') || args.positionals.length !== 1) throw new DriftGuardError('usage', USAGE);
  const v = args.values;
  const org = v.org as string | undefined;
  if (org !== undefined && !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(org)) throw new DriftGuardError('usage', `--org must be an organisation login, got "${org}"`);
  if (sub === 'audit' && (v.repo !== undefined || v.domain !== undefined || v.shard !== undefined)) throw new DriftGuardError('usage', `--repo, --domain and --shard belong to "standards scan"\n${USAGE}`);
  if (sub === 'scan' && v.threshold !== undefined) throw new DriftGuardError('usage', `--threshold belongs to "standards audit"\n${USAGE}`);
  const repo = v.repo as string | undefined;
  if (repo !== undefined && !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) throw new DriftGuardError('usage', `--repo must be "owner/name", got "${repo}"`);
  const domain = v.domain as string | undefined;
  if (domain !== undefined && !(DOMAINS as readonly string[]).includes(domain)) throw new DriftGuardError('usage', `--domain must be one of ${DOMAINS.join(', ')}, got "${domain}"`);
  const shard = v.shard as string | undefined;
  checkShardOption(shard);
  const format = parseFormat(v.format);
  const loaded = await loadPolicyFor(args, process.env);
  const deps = cliDeps(args, loaded.policy.log.level);
  const config = loaded.policy.modules.standards as unknown as StandardsConfig;
  const dryRun = v['dry-run'] === true || loaded.policy.dry_run;

  const event = await intake({ event: 'schedule', source: process.env.GITHUB_ACTIONS === 'true' ? 'github' : 'cli', git: deps.git, env: process.env });
  if (sub === 'audit') {
    const threshold = v.threshold === undefined ? config.audit.threshold : Number(v.threshold);
    if (!Number.isInteger(threshold) || threshold < 0) throw new DriftGuardError('usage', `--threshold must be a whole number >= 0, got "${String(v.threshold)}"`);
    const auditOrg = org ?? config.org;
    if (!auditOrg) throw new DriftGuardError('usage', 'no organisation: pass --org ORG or set modules.standards.org');
    const { createOrgGitHub, EtagCache } = await import('../../modules/standards/github.ts');
    const { planAudit } = await import('../../modules/standards/audit.ts');
    const api = await createOrgGitHub(deps, { tokenEnv: 'GITHUB_TOKEN', cache: new EtagCache() });
    const result = await planAudit(api, { org: auditOrg, threshold, identity: loaded.policy.github.bot_login, home: event.repo });
    let sent = false;
    if (result.write && !dryRun) {
      await api.write(result.write);
      sent = true;
    }
    if (format === 'json') {
      deps.out(`${JSON.stringify({ ...result, dryRun, sent }, null, 2)}\n`);
    } else {
      const lines = [`standards audit of ${inertText(auditOrg)}: ${result.over.length} repositor${result.over.length === 1 ? 'y has' : 'ies have'} more than ${threshold} open drift issues`];
      for (const r of result.over) lines.push(`  ${inertText(r.repository)}: ${r.open} (process ${r.byDomain.process ?? 0}, code ${r.byDomain.code ?? 0}, infra ${r.byDomain.infra ?? 0})`);
      lines.push(result.write ? `${dryRun ? 'would ' : ''}${result.write.method} ${result.write.path}: ${result.writeReason}${dryRun ? ' (dry run: nothing sent)' : ''}` : result.writeReason);
      deps.out(`${lines.join('\n')}\n`);
    }
    return result.over.length > 0 ? ExitCode.blocked : ExitCode.pass;
  }

  if (!org && !config.org && !repo && config.repositories.length === 0) throw new DriftGuardError('usage', 'nothing to scan: pass --org ORG or --repo OWNER/NAME, or set modules.standards.org or modules.standards.repositories in the policy');
  event.inputs = { ...event.inputs, ...(org ? { org } : {}), ...(repo ? { repo } : {}), ...(domain ? { domain } : {}), ...(shard ? { shard } : {}) };
  // The standards step alone, whatever else the policy's schedule runs.
  const policy = { ...loaded.policy, workflows: { ...loaded.policy.workflows, schedule: ['standards'] } };
  const inActions = process.env.GITHUB_ACTIONS === 'true';
  // The infra domain reads AWS: where OIDC is required, static keys are refused as for `run`.
  if (loaded.policy.auth.require_oidc === 'always' || (loaded.policy.auth.require_oidc === 'auto' && inActions)) {
    const { refuseStaticCredentials } = await import('../../src/auth/require-oidc.ts');
    refuseStaticCredentials(process.env, loaded.policy.auth);
  }
  const { defaultCloudClients } = await import('../../src/clouds.ts');
  deps.clouds = defaultCloudClients(deps, loaded.policy.auth);
  let github: GitHubContext | undefined;
  if (inActions && event.repo) {
    github = {
      api: process.env.GITHUB_TOKEN ? await deps.github(event.repo) : undefined,
      runUrl: process.env.GITHUB_RUN_ID ? `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${event.repo.fullName}/actions/runs/${process.env.GITHUB_RUN_ID}` : undefined,
      summaryFile: process.env.GITHUB_STEP_SUMMARY || undefined,
    };
  }
  const { result } = await executeRun({ loaded: { ...loaded, policy }, registry: REGISTRY, event, deps, forceDryRun: v['dry-run'] === true, format, github });
  return result.exitCode;
}
