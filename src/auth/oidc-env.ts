/** True inside a GitHub Actions job that may request an OIDC token (`permissions: id-token: write`). */
export function oidcAvailable(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
}
