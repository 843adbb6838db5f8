import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the proxy saw it; `faulted` when a scripted fault answered it instead of the target. */
export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  faulted: boolean;
}

/** A scripted answer given instead of forwarding, to requests `match` accepts, `times` times (default 1). */
export interface Fault {
  match?: (req: ProxiedRequest) => boolean;
  times?: number;
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** The AWS query-protocol error body (STS, IAM, EC2-style services). */
export function awsQueryError(code: string, message = code, type: 'Sender' | 'Receiver' = 'Sender'): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>dg-fault-0001</RequestId></ErrorResponse>`;
}

/** The S3 REST error body. */
export function s3Error(code: string, message = code, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>dg-fault-0001</RequestId><HostId>dg-fault-host</HostId></Error>`;
}

/** The Google JSON API error body, with one reason. */
export function googleError(status: number, reason: string, message = reason): string {
  return JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });
}

/** The Azure Resource Manager error body. */
export function armError(code: string, message = code): string {
  return JSON.stringify({ error: { code, message } });
}

const MAX_SKEW_MS = 15 * 60_000;

/** `20261130T060000Z` (x-amz-date) as epoch milliseconds. */
function amzDate(value: string | undefined): number | undefined {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of a real server (moto_server or a loopback
 * stand-in): scripted faults answer matching requests in the cloud's own error shape, everything
 * else is forwarded as is. With `serverClockOffsetMs`, the proxy plays a server whose clock differs
 * from the runner's: every answer carries that server's Date, and a request signed (x-amz-date)
 * more than 15 minutes from it gets S3's `403 RequestTimeTooSkewed`, as S3 does.
 */
export class FaultProxy {
  readonly requests: ProxiedRequest[] = [];
  private faults: Array<Fault & { left: number }> = [];
  serverClockOffsetMs = 0;
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  /** Queues a fault; faults are tried in the order added. */
  inject(fault: Fault): this {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
    return this;
  }

  clear(): void {
    this.faults = [];
    this.requests.length = 0;
    this.serverClockOffsetMs = 0;
  }

  /** Requests `match` accepts (all when omitted), faulted or forwarded. */
  count(match?: (req: ProxiedRequest) => boolean): number {
    return this.requests.filter((r) => !match || match(r)).length;
  }

  async start(): Promise<this> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const seen: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: body.toString('utf8'), faulted: false };
        this.requests.push(seen);
        const serverNow = Date.now() + this.serverClockOffsetMs;
        const date = new Date(serverNow).toUTCString();
        const fault = this.faults.find((f) => f.left > 0 && (!f.match || f.match(seen)));
        if (fault) {
          fault.left--;
          seen.faulted = true;
          res.writeHead(fault.status, { date, 'content-type': fault.body?.startsWith('{') ? 'application/json' : 'application/xml', ...fault.headers });
          res.end(fault.body ?? '');
          return;
        }
        if (this.serverClockOffsetMs !== 0) {
          const signed = amzDate(req.headers['x-amz-date'] as string | undefined);
          if (signed !== undefined && Math.abs(signed - serverNow) > MAX_SKEW_MS) {
            seen.faulted = true;
            const requestTime = req.headers['x-amz-date'] as string;
            res.writeHead(403, { date, 'content-type': 'application/xml' });
            res.end(s3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', `<RequestTime>${requestTime}</RequestTime><ServerTime>${new Date(serverNow).toISOString()}</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>`));
            return;
          }
        }
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (answer) => {
            const headers = { ...answer.headers };
            if (this.serverClockOffsetMs !== 0) headers.date = date;
            res.writeHead(answer.statusCode ?? 502, headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (err) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`fault proxy: ${err.message}`);
        });
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
