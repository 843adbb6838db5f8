import type { AuthSettings } from '../policy/schema.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** True inside a GitHub Actions job that may request an OIDC token (`permissions: id-token: write`). */
export function oidcAvailable(env: Env): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
}

/**
 * Whether cloud credentials must come from the OIDC exchange and nowhere else: `auth.require_oidc`
 * `always`, or `auto` (the default) inside GitHub Actions (GITHUB_ACTIONS=true). Elsewhere each
 * cloud's standard credential chain is used, for local work.
 */
export function oidcRequired(env: Env, auth: Pick<AuthSettings, 'require_oidc'>): boolean {
  return auth.require_oidc === 'always' || (auth.require_oidc === 'auto' && env.GITHUB_ACTIONS === 'true');
}

/** The AWS role for an account: per-account map, then AWS_ROLE_TO_ASSUME, then `auth.aws.role_arn`. */
export function awsRoleFor(env: Env, auth: AuthSettings, account?: string): string | undefined {
  return (account ? auth.aws.roles[account] : undefined) ?? env.AWS_ROLE_TO_ASSUME ?? auth.aws.role_arn;
}

/** Which clouds are set up for OIDC federation, each as a short phrase naming its setting. */
export function oidcConfigured(env: Env, auth: AuthSettings): string[] {
  const set: string[] = [];
  const roles = [env.AWS_ROLE_TO_ASSUME, auth.aws.role_arn, ...Object.values(auth.aws.roles)].filter((r): r is string => Boolean(r));
  if (roles.length > 0) set.push(`AWS role ${[...new Set(roles)].join(', ')}`);
  if (env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID) set.push(`Azure client ${env.AZURE_CLIENT_ID}`);
  if (env.GCP_WORKLOAD_IDENTITY_PROVIDER && env.GCP_SERVICE_ACCOUNT) set.push(`GCP service account ${env.GCP_SERVICE_ACCOUNT}`);
  return set;
}
