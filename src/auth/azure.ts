import type { TokenCredential } from '@azure/core-auth';
import type { Deps } from '../deps-types.ts';
import { DriftGuardError } from '../errors.ts';
import { requestIdToken } from './github-oidc.ts';

/**
 * An Entra ID credential federated with the job's OIDC token (audience api://AzureADTokenExchange):
 * no client secret exists anywhere.
 */
export async function federatedAzureCredential(deps: Deps, extra: Record<string, unknown> = {}): Promise<TokenCredential> {
  const { AZURE_CLIENT_ID: clientId, AZURE_TENANT_ID: tenantId } = deps.env;
  if (!clientId || !tenantId) throw new DriftGuardError('auth_refused', 'Azure federation needs AZURE_CLIENT_ID and AZURE_TENANT_ID');
  const { ClientAssertionCredential } = await import('@azure/identity');
  const credential = new ClientAssertionCredential(tenantId, clientId, () => requestIdToken(deps.env, 'api://AzureADTokenExchange', deps.redactor), extra);
  return {
    async getToken(scopes, options) {
      const token = await credential.getToken(scopes, options);
      if (token) deps.redactor.add(token.token);
      return token;
    },
  };
}
