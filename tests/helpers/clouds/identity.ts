import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A JWT-shaped token (header.payload.signature), distinct per audience. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'test' })}.${part(claims)}.${Buffer.from(`sig-${JSON.stringify(claims)}`).toString('base64url')}`;
}

/**
 * The identity side of OIDC federation on loopback: the GitHub Actions token endpoint, Entra ID's
 * OpenID configuration and token endpoint, and Google's STS and IAM Credentials endpoints.
 */
export class IdentityServer {
  readonly requestToken = 'actions-request-token-7f3a9c2e51';
  readonly issued = new Map<string, string>();
  readonly calls: Array<{ path: string; body: string; authorization?: string }> = [];
  readonly entraAccessToken = 'entra-access-token-0c8f6b2d9e41';
  readonly googleFederatedToken = 'google-federated-token-a1b2c3d4e5';
  readonly googleServiceAccountToken = 'ya29.service-account-token-9f8e7d6c5b';
  private server: Server | undefined;
  url = '';

  tokenFor(audience: string): string {
    let token = this.issued.get(audience);
    if (!token) {
      token = fakeJwt({ iss: 'https://token.actions.githubusercontent.com', aud: audience, sub: 'repo:acme/infra:ref:refs/heads/main', n: this.issued.size });
      this.issued.set(audience, token);
    }
    return token;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        this.calls.push({ path: url.pathname, body: raw, authorization: req.headers.authorization });
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (url.pathname === '/actions/token') {
          if (req.headers.authorization !== `bearer ${this.requestToken}`) return json(401, { message: 'bad request token' });
          return json(200, { value: this.tokenFor(url.searchParams.get('audience') ?? '') });
        }
        let m: RegExpExecArray | null;
        if ((m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname))) {
          const base = `https://login.test/${m[1]}`;
          return json(200, { token_endpoint: `${base}/oauth2/v2.0/token`, authorization_endpoint: `${base}/oauth2/v2.0/authorize`, issuer: `${base}/v2.0`, end_session_endpoint: `${base}/oauth2/v2.0/logout`, jwks_uri: `${base}/discovery/v2.0/keys`, response_types_supported: ['code'], token_endpoint_auth_methods_supported: ['private_key_jwt'] });
        }
        if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname)) {
          const form = new URLSearchParams(raw);
          if (form.get('client_assertion') !== this.issued.get('api://AzureADTokenExchange')) return json(400, { error: 'invalid_client', error_description: 'AADSTS700213: No matching federated identity record found' });
          return json(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: this.entraAccessToken });
        }
        if (url.pathname === '/v1/token') {
          const form = new URLSearchParams(raw);
          const subject = form.get('subject_token');
          if (!subject || ![...this.issued.entries()].some(([aud, t]) => aud.startsWith('https://iam.googleapis.com/') && t === subject)) {
            return json(400, { error: 'invalid_grant', error_description: 'The subject token is not valid.' });
          }
          return json(200, { access_token: this.googleFederatedToken, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3600 });
        }
        if (/^\/v1\/projects\/-\/serviceAccounts\/[^/]+:generateAccessToken$/.test(decodeURIComponent(url.pathname))) {
          if (req.headers.authorization !== `Bearer ${this.googleFederatedToken}`) return json(403, { error: { code: 403, message: 'Permission denied', status: 'PERMISSION_DENIED' } });
          return json(200, { accessToken: this.googleServiceAccountToken, expireTime: new Date(Date.now() + 3_600_000).toISOString() });
        }
        json(404, { error: 'not found' });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
