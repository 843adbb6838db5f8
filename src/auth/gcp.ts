import type { Deps } from '../deps-types.ts';
import { DriftGuardError } from '../errors.ts';
import { requestIdToken } from './github-oidc.ts';

export interface GcpFederationEndpoints {
  /** Google STS token endpoint (default https://sts.googleapis.com/v1/token). */
  tokenUrl?: string;
  /** IAM Credentials base (default https://iamcredentials.googleapis.com). */
  iamCredentialsUrl?: string;
}

/**
 * Workload identity federation: the job's OIDC token is exchanged at Google STS and the
 * service account impersonated, through google-auth-library's identity pool client.
 */
export async function federatedGoogleAuth(deps: Deps, endpoints: GcpFederationEndpoints = {}) {
  const provider = deps.env.GCP_WORKLOAD_IDENTITY_PROVIDER;
  const serviceAccount = deps.env.GCP_SERVICE_ACCOUNT;
  if (!provider || !serviceAccount) throw new DriftGuardError('auth_refused', 'GCP federation needs GCP_WORKLOAD_IDENTITY_PROVIDER and GCP_SERVICE_ACCOUNT');
  if (!/^projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+\/providers\/[^/]+$/.test(provider)) {
    throw new DriftGuardError('auth_refused', `GCP_WORKLOAD_IDENTITY_PROVIDER must look like projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER, got "${provider}"`);
  }
  const { IdentityPoolClient } = await import('google-auth-library');
  const iam = (endpoints.iamCredentialsUrl ?? 'https://iamcredentials.googleapis.com').replace(/\/$/, '');
  const client = new IdentityPoolClient({
    type: 'external_account',
    audience: `//iam.googleapis.com/${provider}`,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: endpoints.tokenUrl ?? 'https://sts.googleapis.com/v1/token',
    service_account_impersonation_url: `${iam}/v1/projects/-/serviceAccounts/${serviceAccount}:generateAccessToken`,
    subject_token_supplier: { getSubjectToken: () => requestIdToken(deps.env, `https://iam.googleapis.com/${provider}`, deps.redactor) },
  });
  const original = client.getAccessToken.bind(client);
  client.getAccessToken = async () => {
    const token = await original();
    if (token.token) deps.redactor.add(token.token);
    return token;
  };
  return client;
}
