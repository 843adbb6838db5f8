import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResourceManagementClient } from '@azure/arm-resources';

/** The host the SDK thinks it talks to; the test http client rewrites it to the loopback server. */
export const ARM_HOST = 'https://management.azure.test';

export interface Group {
  name: string;
  location: string;
  tags: Record<string, string>;
  locked?: boolean;
}

/**
 * Azure Resource Manager on loopback: resource groups listed with nextLink paging, read, and
 * deleted as long-running operations (202 + Location, polled to 200), ARM error bodies
 * (ResourceGroupNotFound, ScopeLocked), and fault injection.
 */
export class AzureServer {
  readonly groups = new Map<string, Map<string, Group>>();
  readonly requests: Array<{ method: string; url: string; authorization?: string }> = [];
  pageSize = 2;
  /** Polls before a delete completes. */
  pollsBeforeDone = 2;
  faults = { rate: 0, seed: 3 };
  /** The bearer token ARM accepts. */
  acceptedToken = 'test-arm-token';
  private pending = new Map<string, { sub: string; name: string; polls: number }>();
  private server: Server | undefined;
  url = '';

  private random(): number {
    this.faults.seed = (this.faults.seed * 1103515245 + 12345) % 2147483648;
    return this.faults.seed / 2147483648;
  }

  add(subscription: string, group: Group): void {
    if (!this.groups.has(subscription)) this.groups.set(subscription, new Map());
    this.groups.get(subscription)!.set(group.name.toLowerCase(), group);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.requests.push({ method: req.method ?? '', url: url.pathname + url.search, authorization: req.headers.authorization });
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': 'dg-test', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const armError = (status: number, code: string, message: string) => send(status, { error: { code, message } });
      if (req.headers.authorization !== `Bearer ${this.acceptedToken}`) return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
      if (!url.searchParams.get('api-version')) return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter is required.');
      if (this.faults.rate > 0 && this.random() < this.faults.rate) {
        return this.random() < 0.5 ? send(429, { error: { code: 'TooManyRequests', message: 'throttled' } }, { 'retry-after': '0' }) : armError(503, 'ServiceUnavailable', 'try later');
      }
      let m: RegExpExecArray | null;
      if ((m = /^\/operations\/([\w-]+)$/.exec(url.pathname))) {
        const op = this.pending.get(m[1]!);
        if (!op) return armError(404, 'NotFound', 'operation not found');
        op.polls++;
        if (op.polls < this.pollsBeforeDone) return send(202, undefined, { location: `${ARM_HOST}/operations/${m[1]}?api-version=2021-04-01`, 'retry-after': '0' });
        this.groups.get(op.sub)?.delete(op.name.toLowerCase());
        this.pending.delete(m[1]!);
        return send(200);
      }
      if ((m = /^\/subscriptions\/([^/]+)\/resourcegroups$/i.exec(url.pathname)) && req.method === 'GET') {
        const all = [...(this.groups.get(m[1]!)?.values() ?? [])];
        const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
        const page = all.slice(skip, skip + this.pageSize);
        const next = skip + this.pageSize < all.length ? `${ARM_HOST}/subscriptions/${m[1]}/resourcegroups?api-version=${url.searchParams.get('api-version')}&%24skiptoken=${skip + this.pageSize}` : undefined;
        return send(200, { value: page.map((g) => this.json(m![1]!, g)), ...(next ? { nextLink: next } : {}) });
      }
      if ((m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)$/i.exec(url.pathname))) {
        const [sub, name] = [m[1]!, decodeURIComponent(m[2]!)];
        const group = this.groups.get(sub)?.get(name.toLowerCase());
        if (!group) return armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
        if (req.method === 'GET') return send(200, this.json(sub, group));
        if (req.method === 'DELETE') {
          if (group.locked) return armError(409, 'ScopeLocked', `The scope '/subscriptions/${sub}/resourceGroups/${name}' cannot perform delete operation because following scope(s) are locked.`);
          const id = `op-${Math.random().toString(16).slice(2)}`;
          this.pending.set(id, { sub, name, polls: 0 });
          return send(202, undefined, { location: `${ARM_HOST}/operations/${id}?api-version=2021-04-01`, 'retry-after': '0' });
        }
      }
      armError(404, 'NotFound', `no route for ${req.method} ${url.pathname}`);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private json(sub: string, g: Group) {
    return { id: `/subscriptions/${sub}/resourceGroups/${g.name}`, name: g.name, type: 'Microsoft.Resources/resourceGroups', location: g.location, tags: g.tags, properties: { provisioningState: 'Succeeded' } };
  }

  /** The real ARM client, pointed at this server through an http client that rewrites the host. */
  async client(subscription: string): Promise<ResourceManagementClient> {
    const [{ ResourceManagementClient }, { createDefaultHttpClient }] = await Promise.all([import('@azure/arm-resources'), import('@azure/core-rest-pipeline')]);
    const inner = createDefaultHttpClient();
    const target = this.url;
    return new ResourceManagementClient({ getToken: async () => ({ token: 'test-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }, subscription, {
      endpoint: ARM_HOST,
      retryOptions: { maxRetries: 0 },
      httpClient: {
        sendRequest: (request) => {
          request.url = request.url.replace(ARM_HOST, target);
          request.allowInsecureConnection = true;
          return inner.sendRequest(request);
        },
      },
    });
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
