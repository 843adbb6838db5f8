import { resolve } from 'node:path';
import { keyInShard, parseShard, type Shard } from '../../src/shard.ts';
import { describeError } from '../../src/errors.ts';
import { mapLimit } from '../../src/limit.ts';
import type { Action, Decision, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { inertText } from '../../src/report/inert.ts';
import { AccountGate, accountsFor, infraAccounts } from './accounts.ts';
import { codeChanges } from './code.ts';
import type { StandardFinding } from './findings.ts';
import { createOrgGitHub, EtagCache, type OrgGitHub, type OrgRepo, type RepoIssue } from './github.ts';
import { orphans, resourcesLeft, stateArns, taggedResources } from './infra.ts';
import { issueBody, planIssue, type IssueOp } from './issues.ts';
import { ISSUE_BODY_MAX, LEDGER_LABEL, ledgerBody, readLedger, shardKey, type LedgerState } from './ledger.ts';
import { CHECK_TOML, METADATA_FILE, mergeProcess, parseCheckToml, parseRepoMetadata } from './metadata.ts';
import { compareProcess, readProcess } from './process.ts';
import { DOMAINS, type Domain, type RepoMetadata, type StandardsConfig, type Tier } from './schema.ts';

export { parseShard };

/** A repository's shard from a hash of its full name (lower case): adding repositories moves no other. */
export function inShard(fullName: string, shard: Shard | undefined): boolean {
  return keyInShard(fullName.toLowerCase(), shard);
}

/** What the scan learnt about one repository. */
export interface RepoScan {
  repo: OrgRepo;
  head?: string;
  outcome: 'scanned' | 'unchanged' | 'out of scope' | 'error';
  reason: string;
  tier?: Tier;
  status?: RepoMetadata['status'];
  /** Per domain scanned: its findings (notices included). A domain absent here was not checked. */
  domains: Partial<Record<Domain, StandardFinding[]>>;
  /** Domains only partly checked (an AWS account not proven): their issues are left as they are. */
  incomplete?: Domain[];
  issues: RepoIssue[];
}

interface ScanInputs {
  org?: string;
  repo?: string;
  domain?: Domain;
  shard?: Shard;
}

function scanInputs(ctx: StepContext<StandardsConfig>): ScanInputs {
  const inputs = (ctx.event.inputs ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const domain = str(inputs.domain);
  if (domain !== undefined && !(DOMAINS as readonly string[]).includes(domain)) throw new Error(`--domain must be one of ${DOMAINS.join(', ')}, got "${domain}"`);
  return { org: str(inputs.org) ?? ctx.config.org, repo: str(inputs.repo), domain: domain as Domain | undefined, shard: parseShard(inputs.shard) };
}

/** The scan's own state between plan and apply. */
interface Planned {
  ops: IssueOp[];
  api: OrgGitHub;
}

const STATE_KEY = 'standards';

async function scanRepo(ctx: StepContext<StandardsConfig>, api: OrgGitHub, repo: OrgRepo, listed: boolean, ledger: LedgerState | undefined, inputs: ScanInputs, gate: AccountGate): Promise<RepoScan> {
  const { config } = ctx;
  const scan: RepoScan = { repo, outcome: 'scanned', reason: '', domains: {}, issues: [] };
  const head = await api.branchHead(repo);
  scan.head = head;
  const last = ledger?.merged.get(repo.fullName);
  if (config.only_changed && last?.sha === head) return { ...scan, outcome: 'unchanged', reason: `default branch still at ${head.slice(0, 12)}, as the last scan recorded` };
  const metadataText = await api.file(repo, METADATA_FILE, head);
  if (metadataText === undefined && !listed) return { ...scan, outcome: 'out of scope', reason: `no ${METADATA_FILE} and not listed in modules.standards.repositories` };
  const wanted = (d: Domain) => !inputs.domain || inputs.domain === d;
  const process: StandardFinding[] = [];
  let metadata: RepoMetadata | undefined;
  if (metadataText !== undefined) {
    const parsed = parseRepoMetadata(metadataText);
    metadata = parsed.metadata;
    for (const p of parsed.problems) process.push({ domain: 'process', rule: 'metadata.invalid', file: p.file, line: p.line, col: p.col, setting: METADATA_FILE, expected: 'tier: production|internal|prototype, status: active|pre-release|deprecated, optional team', actual: 'invalid', message: p.message });
  }
  if (!metadata && metadataText !== undefined && !listed) {
    // Without a tier nothing else can be judged: the malformed metadata is the finding.
    scan.domains.process = process;
    scan.reason = 'metadata invalid';
    return scan;
  }
  const tier = metadata?.tier ?? config.default_tier;
  const status = metadata?.status ?? 'active';
  scan.tier = tier;
  scan.status = status;
  const standard = config.tiers[tier];
  const checkText = await api.file(repo, CHECK_TOML, head);
  const check = checkText === undefined ? undefined : parseCheckToml(checkText, tier);
  for (const p of check?.problems ?? []) process.push({ domain: 'process', rule: 'check-toml.invalid', file: p.file, line: p.line, col: p.col, setting: CHECK_TOML, message: p.message });
  if (check && check.unmapped.length) process.push({ domain: 'process', rule: 'check-toml.unmapped', file: CHECK_TOML, notice: true, message: `keys DriftGuard does not check: ${check.unmapped.join(', ')}` });
  if (wanted('process')) {
    const expected = mergeProcess(standard.process, check?.process ?? {});
    process.push(...compareProcess(expected, await readProcess(api, repo, head, expected), repo.defaultBranch));
    scan.domains.process = process;
  }
  if (wanted('code')) {
    if (!last) scan.domains.code = [{ domain: 'code', rule: 'code.first-scan', notice: true, message: `first scan: ${head.slice(0, 12)} recorded; changes to standard files are reported from the next scan` }];
    else scan.domains.code = await codeChanges(api, repo, last.sha, head, standard.code.files);
  }
  const accounts = infraAccounts(config.infra.aws);
  const deprecated = status === 'deprecated' && standard.infra.deprecated_resources;
  const orphanCheck = status !== 'deprecated' && standard.infra.orphans && config.infra.terraform_state !== undefined;
  let skippedNote = '';
  if (wanted('infra') && accounts.length > 0 && (deprecated || orphanCheck)) {
    const project = repo.name;
    const infra: StandardFinding[] = [];
    let inState: Set<string> | undefined;
    let stateFile = '';
    if (orphanCheck) {
      stateFile = config.infra.terraform_state!.replaceAll('{project}', project).replaceAll('{repo}', repo.name);
      inState = await stateArns(resolve(ctx.deps.cwd, stateFile));
      if (!inState) infra.push({ domain: 'infra', rule: 'infra.no-state', notice: true, message: `no Terraform state at ${stateFile}: orphans of ${project} not checked` });
    }
    if (deprecated || inState) {
      const { search, skipped } = accountsFor(accounts, status, standard.infra.pre_release_skips_production);
      if (skipped.length > 0) {
        skippedNote = `; production account${skipped.length > 1 ? 's' : ''} ${skipped.map((a) => a.id).join(', ')} not searched (pre-release, tiers.${tier}.infra.pre_release_skips_production)`;
        infra.push({ domain: 'infra', rule: 'infra.production-skipped', notice: true, message: `status pre-release: production account${skipped.length > 1 ? 's' : ''} ${skipped.map((a) => a.id).join(', ')} not searched (tiers.${tier}.infra.pre_release_skips_production)` });
      }
      for (const account of search) {
        const check = await gate.verify(account);
        if (!check.ok) {
          infra.push({ domain: 'infra', rule: 'infra.account-not-checked', notice: true, message: check.reason });
          scan.incomplete = ['infra'];
          continue;
        }
        for (const region of account.regions) {
          const client = await ctx.deps.clouds.tagging({ region, ...(account.endpoint ? { endpoint: account.endpoint } : {}), ...(account.id ? { account: account.id } : {}) });
          const tagged = await taggedResources(client, config.infra.tag_key, project);
          const where = account.id ? `${account.id} ${region}` : region;
          infra.push(...(deprecated ? resourcesLeft(project, config.infra.tag_key, where, tagged) : orphans(project, config.infra.tag_key, where, stateFile, tagged, inState!)));
        }
      }
    }
    scan.domains.infra = infra;
  }
  scan.reason = `tier ${tier}, status ${status}${skippedNote}`;
  return scan;
}

/**
 * Plans a standards scan: lists the organisation's repositories (never archived ones), keeps the
 * shard's share, reads each in-scope repository's standards and plans the issue writes; the
 * ledger update is planned last. Reads only; `applyStandards` writes.
 */
export async function planStandards(ctx: StepContext<StandardsConfig>): Promise<StepOutcome> {
  const { config, deps, event, policy } = ctx;
  let inputs: ScanInputs;
  try {
    inputs = scanInputs(ctx);
  } catch (err) {
    return { verdict: 'error', summary: (err as Error).message, findings: [], actions: [], decisions: [] };
  }
  if (!inputs.org && !inputs.repo && config.repositories.length === 0) return { verdict: 'error', summary: 'nothing to scan: set modules.standards.org (or --org), list repositories, or pass --repo', findings: [], actions: [], decisions: [] };
  const cache = new EtagCache(resolve(deps.cwd, policy.audit.dir, config.etag_cache));
  await cache.load();
  const api = await createOrgGitHub(deps, { tokenEnv: 'GITHUB_TOKEN', cache });
  const identity = policy.github.bot_login;
  const findings: Finding[] = [];
  const decisions: Decision[] = [];

  const listedNames = new Set(config.repositories.map((r) => r.toLowerCase()));
  let repos: OrgRepo[] = [];
  if (inputs.repo) {
    const one = await api.getRepo(inputs.repo);
    if (!one) return { verdict: 'error', summary: `repository ${inertText(inputs.repo, 200)} not found (or not visible to the token)`, findings: [], actions: [], decisions: [] };
    repos = [one];
  } else {
    if (inputs.org) repos = await api.listOrgRepos(inputs.org);
    const known = new Set(repos.map((r) => r.fullName.toLowerCase()));
    for (const name of config.repositories) {
      if (known.has(name.toLowerCase())) continue;
      const one = await api.getRepo(name);
      if (one) repos.push(one);
      else findings.push({ rule: 'standards.repository-missing', title: name, message: `listed repository ${name} not found (or not visible to the token)`, severity: 'warning' });
    }
  }
  const archived = repos.filter((r) => r.archived).length;
  repos = repos.filter((r) => !r.archived && inShard(r.fullName, inputs.shard)).sort((a, b) => a.fullName.localeCompare(b.fullName));

  const shard = shardKey(inputs.shard);
  let ledger: LedgerState | undefined;
  if (event.repo) {
    ledger = await readLedger(api, event.repo, identity, shard);
    for (const n of ledger.untrusted) findings.push({ rule: 'standards.ledger-untrusted', title: `${event.repo.fullName}#${n}`, message: `issue #${n} is labelled ${LEDGER_LABEL} but was not opened by ${identity}: ignored`, severity: 'warning' });
  } else {
    findings.push({ rule: 'standards.no-ledger', title: 'ledger', message: 'no repository runs this scan (GITHUB_REPOSITORY unset): no ledger, so every repository is scanned as a first scan and code changes cannot be listed', severity: 'notice' });
  }

  const gate = new AccountGate(deps.clouds, config.infra.aws.sts.endpoint);
  const scans = await mapLimit(repos, config.concurrency, async (repo): Promise<RepoScan> => {
    try {
      const scan = await scanRepo(ctx, api, repo, listedNames.has(repo.fullName.toLowerCase()), ledger, inputs, gate);
      if (Object.keys(scan.domains).length > 0) scan.issues = await api.openIssuesBy(repo, identity);
      return scan;
    } catch (err) {
      return { repo, outcome: 'error', reason: describeError(err), domains: {}, issues: [] };
    }
  });

  const runUrl = event.repo && deps.env.GITHUB_RUN_ID ? `${deps.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${event.repo.fullName}/actions/runs/${deps.env.GITHUB_RUN_ID}` : undefined;
  const ops: IssueOp[] = [];
  let failing = 0;
  for (const scan of scans) {
    decisions.push({ subject: scan.repo.fullName, decision: scan.outcome, reason: scan.reason });
    if (scan.outcome === 'error') {
      findings.push({ rule: 'standards.error', title: scan.repo.fullName, message: scan.reason, severity: 'error' });
      continue;
    }
    for (const [domain, list] of Object.entries(scan.domains) as Array<[Domain, StandardFinding[]]>) {
      for (const f of list) {
        if (!f.notice) failing++;
        findings.push({
          rule: f.rule,
          title: `${scan.repo.fullName}: ${f.setting ?? f.rule}`,
          message: inertText(`${f.message}${f.expected !== undefined ? ` (expected ${f.expected}, actual ${f.actual ?? '?'})` : ''}${f.commits?.length ? ` in ${f.commits.map((c) => c.slice(0, 12)).join(', ')}` : ''}`, 1000),
          severity: f.notice ? 'notice' : domain === 'code' ? 'warning' : 'error',
          ...(f.file ? { file: `${scan.repo.fullName}/${f.file}` } : {}),
          ...(f.line ? { line: f.line } : {}),
          source: domain,
        });
      }
      if (!config.issues.enabled) continue;
      // A partly checked domain says nothing about what was not checked: its issue stays as it is.
      if (scan.incomplete?.includes(domain)) continue;
      const body = issueBody(scan.repo, domain, list, { runUrl, tier: scan.tier, head: scan.head ?? '' });
      ops.push(...planIssue(scan.repo, domain, list, scan.issues, { identity, closeResolved: config.issues.close_resolved, body, runUrl }));
    }
  }

  // The ledger moves on only for repositories read without error, and only when the code domain
  // was part of the run (a --domain process run must not swallow code changes).
  if (event.repo && ledger && (!inputs.domain || inputs.domain === 'code')) {
    const entries = new Map(ledger.ownEntries);
    const at = ctx.now.toISOString();
    let moved = 0;
    for (const s of scans) {
      // An incomplete repository is read again next run, even without new commits.
      if (s.outcome === 'error' || s.incomplete?.length || !s.head) continue;
      if (entries.get(s.repo.fullName)?.sha !== s.head) moved++;
      entries.set(s.repo.fullName, { sha: s.head, at });
    }
    const body = ledgerBody(shard, entries, at);
    if (moved > 0 && body.length > ISSUE_BODY_MAX) {
      findings.push({ rule: 'standards.ledger-full', title: `ledger shard ${shard}`, message: `the ledger of shard ${shard} would hold ${entries.size} repositories (${body.length} characters), more than one GitHub issue body takes (${ISSUE_BODY_MAX}); not written: run the scan in more shards (--shard i/n, about 900 repositories each)`, severity: 'error' });
    } else if (moved > 0) {
      const base = `/repos/${event.repo.owner}/${event.repo.name}/issues`;
      ops.push(ledger.own
        ? { kind: 'update issue', target: `${event.repo.fullName}#${ledger.own.number}`, reason: `ledger: ${moved} repository head(s) recorded`, writes: [{ method: 'PATCH', path: `${base}/${ledger.own.number}`, body: { body } }] }
        : { kind: 'open issue', target: `${event.repo.fullName} ${LEDGER_LABEL}`, reason: `ledger: ${moved} repository head(s) recorded`, writes: [{ method: 'POST', path: base, body: { title: `DriftGuard standards ledger (shard ${shard})`, body, labels: [LEDGER_LABEL] } }] });
    }
  }
  await cache.save().catch((err) => deps.log.warn({ error: describeError(err) }, 'the ETag cache could not be written'));
  ctx.state.set(STATE_KEY, { ops, api } satisfies Planned);

  const count = (o: RepoScan['outcome']) => scans.filter((s) => s.outcome === o).length;
  const errors = count('error');
  const incomplete = scans.filter((s) => s.incomplete?.length).length;
  const accountChecks = await gate.results();
  for (const a of accountChecks) if (!a.ok) findings.push({ rule: 'standards.account-not-checked', title: `AWS account ${a.id}`, message: `${a.reason}; the infra domain of ${incomplete} repositor${incomplete === 1 ? 'y' : 'ies'} is incomplete and their drift:infra issues are left as they are`, severity: 'error' });
  const summary = `${scans.length} repositories${inputs.shard ? ` in shard ${shard}` : ''}${archived ? ` (${archived} archived skipped)` : ''}: ${count('scanned')} scanned, ${count('unchanged')} unchanged, ${count('out of scope')} out of scope${errors ? `, ${errors} could not be read` : ''}${incomplete ? `, ${incomplete} incomplete (AWS account${accountChecks.filter((a) => !a.ok).length > 1 ? 's' : ''} ${accountChecks.filter((a) => !a.ok).map((a) => a.id).join(', ')} not checked)` : ''}; ${failing} finding(s); ${cache.stats.requests} GitHub requests (${cache.stats.notModified} answered 304 from the ETag cache)`;
  return {
    verdict: errors > 0 || incomplete > 0 ? 'error' : failing > 0 ? 'fail' : 'pass',
    summary,
    findings,
    actions: ops.map((o): Action => ({ kind: o.kind, target: o.target, reason: o.reason, status: 'planned', detail: o.writes.map((w) => `${w.method} ${w.path}`).join('; ') })),
    decisions,
    data: {
      requests: cache.stats.requests,
      notModified: cache.stats.notModified,
      repositories: scans.map((s) => ({ repository: s.repo.fullName, outcome: s.outcome, tier: s.tier, status: s.status, head: s.head, findings: Object.fromEntries(Object.entries(s.domains).map(([d, l]) => [d, l!.length])), ...(s.incomplete?.length ? { incomplete: s.incomplete } : {}) })),
      accounts: accountChecks.map((a) => ({ id: a.id, verified: a.ok })),
    },
  };
}

/** Sends the planned writes in order; a failed write is reported and makes the run incomplete. */
export async function applyStandards(planned: StepOutcome, ctx: StepContext<StandardsConfig>): Promise<StepOutcome> {
  const state = ctx.state.get(STATE_KEY) as Planned | undefined;
  if (!state) return planned;
  const actions: Action[] = [];
  const findings = [...planned.findings];
  let failed = 0;
  for (const op of state.ops) {
    const base = { kind: op.kind, target: op.target, reason: op.reason, detail: op.writes.map((w) => `${w.method} ${w.path}`).join('; ') };
    try {
      for (const w of op.writes) await state.api.write(w);
      actions.push({ ...base, status: 'done' });
    } catch (err) {
      failed++;
      const message = describeError(err);
      actions.push({ ...base, status: 'failed', detail: message });
      findings.push({ rule: 'standards.apply', title: `${op.kind} ${op.target}`, message, severity: 'error' });
    }
  }
  return { ...planned, verdict: failed > 0 ? 'error' : planned.verdict, findings, actions };
}
