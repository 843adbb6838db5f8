import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GcsBucket {
  name: string;
  project: string;
  location: string;
  timeCreated: string;
  labels: Record<string, string>;
  retentionPolicy?: { retentionPeriod: string };
  /** Requester Pays: every call on the bucket or its objects must name a project to bill (userProject), or GCS answers 400. */
  requesterPays?: boolean;
  /** Object generations (name -> generations). */
  objects: Map<string, string[]>;
}

/**
 * The GCS JSON API on loopback (no emulator runs here): buckets listed per project with page
 * tokens, object generations listed with versions=true and deleted one generation at a time, a
 * non-empty bucket refusing deletion with 409, Google's error bodies, and fault injection.
 */
export class GcsServer {
  readonly buckets = new Map<string, GcsBucket>();
  readonly requests: Array<{ method: string; url: string; authorization?: string }> = [];
  pageSize = 2;
  faults = { rate: 0, seed: 5 };
  private server: Server | undefined;
  private generation = 1_700_000_000_000_000;
  url = '';

  private random(): number {
    this.faults.seed = (this.faults.seed * 1103515245 + 12345) % 2147483648;
    return this.faults.seed / 2147483648;
  }

  add(bucket: Omit<GcsBucket, 'objects'>, objects: Record<string, number> = {}): void {
    const map = new Map<string, string[]>();
    for (const [name, count] of Object.entries(objects)) map.set(name, Array.from({ length: count }, () => String(this.generation++)));
    this.buckets.set(bucket.name, { ...bucket, objects: map });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.requests.push({ method: req.method ?? '', url: url.pathname + url.search, authorization: req.headers.authorization });
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const gError = (code: number, message: string, reason: string) => send(code, { error: { code, message, errors: [{ message, domain: 'global', reason }] } });
      if (this.faults.rate > 0 && this.random() < this.faults.rate) return this.random() < 0.5 ? gError(429, 'The rate of change requests is too high.', 'rateLimitExceeded') : gError(503, 'Backend Error', 'backendError');
      let m: RegExpExecArray | null;
      const path = url.pathname.replace(/^\/storage\/v1/, '');
      // Page tokens are cursors (the last item's key), as in GCS: deleting while paging skips nothing.
      const page = <T extends { name: string; generation?: string }>(items: T[]) => {
        const cursor = url.searchParams.get('pageToken');
        const key = (i: T) => `${i.name}#${i.generation ?? ''}`;
        const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : 1));
        const rest = cursor ? sorted.filter((i) => key(i) > cursor) : sorted;
        const size = Math.min(Number(url.searchParams.get('maxResults') ?? this.pageSize), this.pageSize);
        const slice = rest.slice(0, size);
        return { items: slice, ...(rest.length > size ? { nextPageToken: key(slice[slice.length - 1]!) } : {}) };
      };
      const meta = (b: GcsBucket) => ({ kind: 'storage#bucket', id: b.name, name: b.name, projectNumber: '123', location: b.location, timeCreated: b.timeCreated, labels: b.labels, ...(b.retentionPolicy ? { retentionPolicy: b.retentionPolicy } : {}), ...(b.requesterPays ? { billing: { requesterPays: true } } : {}) });
      // GCS's answer to a call on a Requester Pays bucket that names no billing project.
      const unbilled = (b: GcsBucket | undefined) => Boolean(b?.requesterPays && !url.searchParams.get('userProject'));
      const bucketOf = /^\/b\/([^/]+)/.exec(path);
      if (bucketOf && unbilled(this.buckets.get(decodeURIComponent(bucketOf[1]!)))) return gError(400, 'Bucket is a requester pays bucket but no user project provided.', 'required');
      if (path === '/b' && req.method === 'GET') {
        const project = url.searchParams.get('project');
        return send(200, { kind: 'storage#buckets', ...page([...this.buckets.values()].filter((b) => b.project === project).map(meta)) });
      }
      if ((m = /^\/b\/([^/]+)$/.exec(path))) {
        const bucket = this.buckets.get(decodeURIComponent(m[1]!));
        if (!bucket) return gError(404, 'The specified bucket does not exist.', 'notFound');
        if (req.method === 'GET') return send(200, meta(bucket));
        if (req.method === 'DELETE') {
          if ([...bucket.objects.values()].some((g) => g.length > 0)) return gError(409, 'The bucket you tried to delete is not empty.', 'conflict');
          this.buckets.delete(bucket.name);
          return send(204);
        }
      }
      if ((m = /^\/b\/([^/]+)\/o$/.exec(path)) && req.method === 'GET') {
        const bucket = this.buckets.get(decodeURIComponent(m[1]!));
        if (!bucket) return gError(404, 'The specified bucket does not exist.', 'notFound');
        const versions = url.searchParams.get('versions') === 'true';
        const items = [...bucket.objects.entries()].flatMap(([name, generations]) => (versions ? generations : generations.slice(-1)).map((generation) => ({ kind: 'storage#object', name, bucket: bucket.name, generation })));
        return send(200, { kind: 'storage#objects', ...page(items) });
      }
      if ((m = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path)) && req.method === 'DELETE') {
        const bucket = this.buckets.get(decodeURIComponent(m[1]!));
        const name = decodeURIComponent(m[2]!);
        const generations = bucket?.objects.get(name);
        if (!bucket || !generations || generations.length === 0) return gError(404, 'No such object.', 'notFound');
        const generation = url.searchParams.get('generation');
        if (bucket.retentionPolicy) return gError(403, 'Object is subject to bucket\'s retention policy and cannot be deleted.', 'retentionPolicyNotMet');
        const index = generation ? generations.indexOf(generation) : generations.length - 1;
        if (index < 0) return gError(404, 'No such object.', 'notFound');
        generations.splice(index, 1);
        return send(204);
      }
      gError(404, `no route for ${req.method} ${url.pathname}`, 'notFound');
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
