import { DriftGuardError } from '../errors.ts';
import type { Redactor } from '../redact.ts';
import { httpCall } from '../http.ts';

/**
 * Requests the job's OIDC token for an audience from the Actions token endpoint. The workflow
 * needs `permissions: id-token: write`. The token is registered with the redactor before it is
 * returned, so it can reach no log.
 */
export async function requestIdToken(env: Readonly<Record<string, string | undefined>>, audience: string, redactor: Redactor): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    throw new DriftGuardError('auth_refused', 'no GitHub OIDC token available: give the job `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is not set)');
  }
  const target = new URL(url);
  target.searchParams.set('audience', audience);
  const body = await httpCall('the Actions token endpoint', target, { headers: { authorization: `bearer ${bearer}`, accept: 'application/json; api-version=2.0' } }, { maxElapsedMs: 20_000 });
  if (typeof body.value !== 'string' || body.value.length < 20) throw new DriftGuardError('auth_refused', 'the Actions token endpoint returned no token');
  redactor.add(body.value);
  return body.value;
}
