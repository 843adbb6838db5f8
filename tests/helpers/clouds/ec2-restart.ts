import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback proxy in front of moto_server's EC2 that adds the one behaviour moto lacks: on real
 * EC2, LaunchTime is the time of the instance's last start, so StartInstances after a stop resets
 * it ("LaunchTime: the time that the instance was last launched"). moto keeps the first launch
 * time and has no facility to move its clock, so the proxy stamps each instance started through
 * it with `clock()` and writes that into DescribeInstances answers as `<launchTime>`. Everything
 * else (the attach times of the root volume and the network interfaces, tags, termination) is
 * moto's own answer, passed through untouched.
 */
export class Ec2RestartProxy {
  url = '';
  /** How many `<launchTime>` values were rewritten: a test asserts on it, so a change in moto's XML cannot pass silently. */
  rewrites = 0;
  private readonly restarted = new Map<string, Date>();
  private server: Server | undefined;

  constructor(
    private readonly upstream: string,
    /** The time a StartInstances call is taken to happen at. */
    private readonly clock: () => Date,
  ) {}

  async start(): Promise<this> {
    const target = new URL(this.upstream);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const form = new URLSearchParams(body.toString());
        const action = form.get('Action');
        const upstream = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (c: Buffer) => parts.push(c));
            answer.on('end', () => {
              let text = Buffer.concat(parts).toString();
              if (action === 'StartInstances' && (answer.statusCode ?? 500) < 300) {
                for (const [key, id] of form) if (/^InstanceId\.\d+$/.test(key)) this.restarted.set(id, this.clock());
              }
              if (action === 'DescribeInstances' && this.restarted.size > 0) {
                // In moto's instance XML, an instance's <launchTime> is the first one after its <instanceId>.
                text = text.replace(/(<instanceId>(i-[0-9a-f]+)<\/instanceId>[\s\S]*?<launchTime>)([^<]*)(<\/launchTime>)/g, (whole, head: string, id: string, _old: string, tail: string) => {
                  const at = this.restarted.get(id);
                  if (!at) return whole;
                  this.rewrites++;
                  return `${head}${at.toISOString()}${tail}`;
                });
              }
              const headers = { ...answer.headers };
              delete headers['content-length'];
              delete headers['transfer-encoding'];
              res.writeHead(answer.statusCode ?? 500, { ...headers, 'content-length': Buffer.byteLength(text) });
              res.end(text);
            });
          },
        );
        upstream.on('error', (err) => res.writeHead(502).end(String(err)));
        upstream.end(body);
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
