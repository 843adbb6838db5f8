import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Instance {
  id: string;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  launchTime: string;
  tags: Record<string, string>;
  protectedFromTermination?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * EC2 and STS on loopback, speaking the AWS Query wire format the SDK clients use (form-encoded
 * POST, XML answers, EC2's <Response><Errors> error shape, NextToken paging), with fault injection.
 */
export class AwsQueryServer {
  readonly instances = new Map<string, Instance>();
  readonly calls: Array<Record<string, string>> = [];
  account = '111111111111';
  /** AssumeRoleWithWebIdentity: the token it expects, and the session it hands out. */
  webIdentity: { token?: string; roles: Map<string, string>; session: { accessKeyId: string; secretAccessKey: string; sessionToken: string } } = {
    roles: new Map(),
    session: { accessKeyId: 'ASIATESTSESSION00001', secretAccessKey: 'session-secret-5b4f0c9e7d', sessionToken: 'session-token-IQoJb3JpZ2luX2VjEJr0000' },
  };
  readonly securityTokens: Array<string | undefined> = [];
  pageSize = 2;
  /** Action -> milliseconds each request of it takes, and the most of them seen in flight at once. */
  readonly delays = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  private inFlight = new Map<string, number>();
  faults = { rate: 0, seed: 7 };
  private server: Server | undefined;
  url = '';

  private random(): number {
    this.faults.seed = (this.faults.seed * 1103515245 + 12345) % 2147483648;
    return this.faults.seed / 2147483648;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', async () => {
        const send = (status: number, body: string) => {
          res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
          res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
        };
        if ((req.headers['content-type'] ?? '').includes('json')) {
          // STS over the JSON protocol.
          const target = String(req.headers['x-amz-target'] ?? '');
          this.calls.push({ Action: target.split('.').pop() ?? target });
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ Account: this.account, Arn: `arn:aws:sts::${this.account}:assumed-role/driftguard/ci`, UserId: 'AROAEXAMPLE:ci' }));
          return;
        }
        const params = Object.fromEntries(new URLSearchParams(raw));
        this.calls.push(params);
        const delay = this.delays.get(params.Action ?? '');
        if (delay) {
          const action = params.Action!;
          this.inFlight.set(action, (this.inFlight.get(action) ?? 0) + 1);
          this.maxInFlight.set(action, Math.max(this.maxInFlight.get(action) ?? 0, this.inFlight.get(action)!));
          await new Promise((r) => setTimeout(r, delay));
          this.inFlight.set(action, this.inFlight.get(action)! - 1);
        }
        this.securityTokens.push(req.headers['x-amz-security-token'] as string | undefined);
        const ec2Error = (status: number, code: string, message: string) =>
          send(status, `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>dg-test</RequestID></Response>`);
        if (this.faults.rate > 0 && params.Action !== 'GetCallerIdentity' && this.random() < this.faults.rate) {
          return this.random() < 0.5 ? ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.') : ec2Error(500, 'InternalError', 'An internal error has occurred.');
        }
        switch (params.Action) {
          case 'GetCallerIdentity':
            return send(200, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::${this.account}:assumed-role/driftguard/ci</Arn><UserId>AROAEXAMPLE:ci</UserId><Account>${this.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>dg-test</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
          case 'AssumeRoleWithWebIdentity': {
            const account = this.webIdentity.roles.get(params.RoleArn ?? '');
            if (!account || params.WebIdentityToken !== this.webIdentity.token) {
              return send(403, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>dg</RequestId></ErrorResponse>`);
            }
            this.account = account;
            const s = this.webIdentity.session;
            const expires = new Date(Date.now() + Number(params.DurationSeconds ?? 3600) * 1000).toISOString();
            return send(200, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${s.accessKeyId}</AccessKeyId><SecretAccessKey>${s.secretAccessKey}</SecretAccessKey><SessionToken>${s.sessionToken}</SessionToken><Expiration>${expires}</Expiration></Credentials><SubjectFromWebIdentityToken>repo:acme/infra:ref:refs/heads/main</SubjectFromWebIdentityToken><AssumedRoleUser><Arn>${params.RoleArn}/${params.RoleSessionName}</Arn><AssumedRoleId>AROA:${params.RoleSessionName}</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>dg</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`);
          }
          case 'DescribeInstances':
            return this.describe(params, send, ec2Error);
          case 'DescribeInstanceAttribute': {
            const instance = this.instances.get(params.InstanceId ?? '');
            if (!instance) return ec2Error(400, 'InvalidInstanceID.NotFound', `The instance ID '${params.InstanceId}' does not exist`);
            return send(200, `<DescribeInstanceAttributeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>dg</requestId><instanceId>${instance.id}</instanceId><disableApiTermination><value>${instance.protectedFromTermination ? 'true' : 'false'}</value></disableApiTermination></DescribeInstanceAttributeResponse>`);
          }
          case 'TerminateInstances': {
            const ids = Object.entries(params).filter(([k]) => /^InstanceId\.\d+$/.test(k)).map(([, v]) => v);
            const items: string[] = [];
            for (const id of ids) {
              const instance = this.instances.get(id);
              if (!instance) return ec2Error(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
              if (instance.protectedFromTermination) return ec2Error(400, 'OperationNotPermitted', `The instance '${id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
              const previous = instance.state;
              instance.state = 'terminated';
              items.push(`<item><instanceId>${id}</instanceId><currentState><code>48</code><name>terminated</name></currentState><previousState><code>16</code><name>${previous}</name></previousState></item>`);
            }
            return send(200, `<TerminateInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>dg</requestId><instancesSet>${items.join('')}</instancesSet></TerminateInstancesResponse>`);
          }
          default:
            return ec2Error(400, 'InvalidAction', `The action ${params.Action} is not valid for this web service.`);
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private describe(params: Record<string, string>, send: (s: number, b: string) => void, ec2Error: (s: number, c: string, m: string) => void) {
    const ids = Object.entries(params).filter(([k]) => /^InstanceId\.\d+$/.test(k)).map(([, v]) => v);
    const states: string[] = [];
    for (const [k, v] of Object.entries(params)) {
      const m = /^Filter\.(\d+)\.Name$/.exec(k);
      if (m && v === 'instance-state-name') {
        for (const [k2, v2] of Object.entries(params)) if (k2.startsWith(`Filter.${m[1]}.Value.`)) states.push(v2);
      }
    }
    let list = [...this.instances.values()];
    if (ids.length) {
      const missing = ids.find((id) => !this.instances.has(id));
      if (missing) return ec2Error(400, 'InvalidInstanceID.NotFound', `The instance ID '${missing}' does not exist`);
      list = list.filter((i) => ids.includes(i.id));
    }
    if (states.length) list = list.filter((i) => states.includes(i.state));
    const start = params.NextToken ? Number(params.NextToken) : 0;
    const page = ids.length ? list : list.slice(start, start + this.pageSize);
    const next = !ids.length && start + this.pageSize < list.length ? String(start + this.pageSize) : undefined;
    const items = page
      .map(
        (i) =>
          `<item><reservationId>r-${i.id.slice(2)}</reservationId><ownerId>${this.account}</ownerId><instancesSet><item><instanceId>${i.id}</instanceId><instanceType>t3.micro</instanceType><launchTime>${i.launchTime}</launchTime><instanceState><code>16</code><name>${i.state}</name></instanceState><tagSet>${Object.entries(i.tags).map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`).join('')}</tagSet></item></instancesSet></item>`,
      )
      .join('');
    send(200, `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>dg</requestId><reservationSet>${items}</reservationSet>${next ? `<nextToken>${next}</nextToken>` : ''}</DescribeInstancesResponse>`);
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
