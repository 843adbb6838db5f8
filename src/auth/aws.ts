import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { Deps } from '../deps-types.ts';
import { DriftGuardError, describeError } from '../errors.ts';
import { withRetry } from '../retry.ts';
import { requestIdToken } from './github-oidc.ts';

export interface AssumeRoleOptions {
  roleArn: string;
  region: string;
  stsEndpoint?: string;
  /** Seconds; short by default. */
  durationSeconds: number;
  sessionName: string;
}

/**
 * AWS credentials from the job's OIDC token: STS AssumeRoleWithWebIdentity (an unsigned call),
 * cached until shortly before they expire (one minute). A caller that hands the credentials on to
 * a long command (Terraform) asks for `{ minLifetimeMs }`: the cached session is reused only when
 * it has that long left (capped at the session duration less one minute), else a fresh one is
 * assumed. Every secret part is registered with the redactor.
 */
export function webIdentityCredentials(deps: Deps, options: AssumeRoleOptions): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined;
  return async (properties?: { minLifetimeMs?: number }) => {
    const floor = Math.max(60_000, Math.min(properties?.minLifetimeMs ?? 0, options.durationSeconds * 1000 - 60_000));
    if (cached?.expiration && cached.expiration.getTime() - Date.now() > floor) return cached;
    const token = await requestIdToken(deps.env, 'sts.amazonaws.com', deps.redactor);
    const { STSClient, AssumeRoleWithWebIdentityCommand } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({ region: options.region, maxAttempts: 1, ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}) });
    let out;
    try {
      out = await withRetry(() =>
        sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: options.roleArn, RoleSessionName: options.sessionName, WebIdentityToken: token, DurationSeconds: options.durationSeconds })),
      );
    } catch (err) {
      throw new DriftGuardError('auth_refused', `cannot assume ${options.roleArn} with the GitHub OIDC token: ${describeError(err)}`, { cause: err });
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new DriftGuardError('auth_refused', `STS returned no credentials for ${options.roleArn}`);
    for (const secret of [c.SecretAccessKey, c.SessionToken]) deps.redactor.add(secret);
    cached = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) };
    deps.log.info({ role: options.roleArn, expires: c.Expiration?.toISOString() }, 'assumed AWS role with the GitHub OIDC token');
    return cached;
  };
}

export function sessionName(env: Readonly<Record<string, string | undefined>>): string {
  return `driftguard-${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`.slice(0, 64);
}
