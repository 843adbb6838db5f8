import { describeError } from '../../src/errors.ts';
import type { CloudClients } from '../../src/clouds-types.ts';
import { inertText } from '../../src/report/inert.ts';
import type { RepoMetadata, StandardsConfig } from './schema.ts';

/** One AWS account the infra domain searches, with its regions and endpoint resolved. */
export interface InfraAccount {
  /** 12-digit id; undefined: the credentials at hand, whatever account they belong to (no `account` or `accounts` in the policy). */
  id?: string;
  production: boolean;
  regions: string[];
  endpoint?: string;
}

/**
 * The accounts of `modules.standards.infra.aws`: `accounts` (regions and endpoint defaulting to
 * the section's), else the older single `account` (not production), else the credentials at hand.
 * Empty when no region is set anywhere: the infra domain is off.
 */
export function infraAccounts(aws: StandardsConfig['infra']['aws']): InfraAccount[] {
  const endpoint = (own?: string) => own ?? aws.endpoint;
  if (aws.accounts.length > 0) {
    return aws.accounts
      .map((a) => ({ id: a.id, production: a.production, regions: a.regions ?? aws.regions, ...(endpoint(a.endpoint) ? { endpoint: endpoint(a.endpoint) } : {}) }))
      .filter((a) => a.regions.length > 0);
  }
  if (aws.regions.length === 0) return [];
  return [{ ...(aws.account ? { id: aws.account } : {}), production: false, regions: aws.regions, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) }];
}

/**
 * Which accounts a project is searched in. Deprecated and active projects: every account (a
 * deprecated project's resources must be gone everywhere). Pre-release: the accounts marked
 * production are skipped when `skipsProduction` (its tier's `pre_release_skips_production`). Pure.
 */
export function accountsFor(accounts: readonly InfraAccount[], status: RepoMetadata['status'], skipsProduction: boolean): { search: InfraAccount[]; skipped: InfraAccount[] } {
  const skip = status === 'pre-release' && skipsProduction;
  return { search: accounts.filter((a) => !(skip && a.production)), skipped: accounts.filter((a) => skip && a.production) };
}

/** An account's identity check: usable, or why its answers are not used. */
export type AccountCheck = { ok: true } | { ok: false; reason: string };

/**
 * Proves each account with STS GetCallerIdentity, once per account per run (the answer is
 * memoised across repositories), with the credentials `clouds` picks for that account (its role in
 * auth.aws.roles). An account whose credentials answer another id, or whose check fails, is not
 * used: its resources are never attributed to it. An account without an id is not checked.
 */
export class AccountGate {
  private readonly checks = new Map<string, Promise<AccountCheck>>();

  constructor(
    private readonly clouds: CloudClients,
    private readonly stsEndpoint: string | undefined,
  ) {}

  verify(account: InfraAccount): Promise<AccountCheck> {
    const id = account.id;
    if (!id) return Promise.resolve({ ok: true });
    let check = this.checks.get(id);
    if (!check) {
      check = this.ask(id, account.regions[0]!);
      this.checks.set(id, check);
    }
    return check;
  }

  /** Every account asked so far, with its answer (ids in policy order of first use). */
  async results(): Promise<Array<{ id: string } & AccountCheck>> {
    return Promise.all([...this.checks].map(async ([id, check]) => ({ id, ...(await check) })));
  }

  private async ask(id: string, region: string): Promise<AccountCheck> {
    try {
      const actual = await this.clouds.awsAccount({ region, account: id, ...(this.stsEndpoint ? { endpoint: this.stsEndpoint } : {}) });
      if (actual === id) return { ok: true };
      // The answer comes from the cloud: shown inert, and never used as an account id.
      const shown = /^\d{12}$/.test(actual) ? `account ${actual}` : `"${inertText(actual, 40)}"`;
      return { ok: false, reason: `account ${id} not checked: its credentials (auth.aws.roles["${id}"] or the default role) belong to ${shown} according to STS GetCallerIdentity` };
    } catch (err) {
      return { ok: false, reason: `account ${id} not checked: STS GetCallerIdentity failed: ${inertText(describeError(err), 300)}` };
    }
  }
}
