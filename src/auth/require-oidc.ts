import { readFileSync } from 'node:fs';
import { DriftGuardError } from '../errors.ts';

const SETUP = {
  aws: 'set AWS_ROLE_TO_ASSUME (or auth.aws.role_arn) to a role that trusts token.actions.githubusercontent.com, and give the job `permissions: id-token: write`',
  azure: 'add a federated credential for this repository to the app registration, set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID, and give the job `permissions: id-token: write`',
  gcp: 'create a workload identity pool provider for GitHub, set GCP_WORKLOAD_IDENTITY_PROVIDER and GCP_SERVICE_ACCOUNT, and give the job `permissions: id-token: write`',
};

/** A service-account key file, as opposed to external-account (federation) configuration. */
function isKeyFile(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { type?: string }).type === 'service_account';
  } catch {
    return false;
  }
}

/**
 * Refuses long-lived cloud keys where OIDC is required (by default inside GitHub Actions): each
 * refusal names the variable and how to set up federation instead.
 */
export function refuseStaticCredentials(env: Readonly<Record<string, string | undefined>>): void {
  const problems: string[] = [];
  if (env.AWS_ACCESS_KEY_ID && !env.AWS_SESSION_TOKEN) problems.push(`AWS_ACCESS_KEY_ID holds a long-lived access key: ${SETUP.aws}`);
  if (env.AWS_SECRET_ACCESS_KEY && !env.AWS_SESSION_TOKEN && !env.AWS_ACCESS_KEY_ID) problems.push(`AWS_SECRET_ACCESS_KEY is set: ${SETUP.aws}`);
  if (env.AZURE_CLIENT_SECRET) problems.push(`AZURE_CLIENT_SECRET is a client secret: ${SETUP.azure}`);
  if (env.AZURE_CLIENT_CERTIFICATE_PATH) problems.push(`AZURE_CLIENT_CERTIFICATE_PATH is a client certificate: ${SETUP.azure}`);
  if (env.GOOGLE_APPLICATION_CREDENTIALS && isKeyFile(env.GOOGLE_APPLICATION_CREDENTIALS)) {
    problems.push(`GOOGLE_APPLICATION_CREDENTIALS points at a service-account key file: ${SETUP.gcp}`);
  }
  if (problems.length > 0) {
    throw new DriftGuardError('auth_refused', 'static cloud credentials are refused here (auth.require_oidc is on inside GitHub Actions):', { details: problems });
  }
}
