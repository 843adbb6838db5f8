import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free loopback port, chosen by the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * moto_server (Python moto 5) on loopback: S3 with versioning (suspended and `null` versions
 * included), Object Lock, tagging and multipart uploads; EC2 and STS on the same port. Any access
 * key works; `reset()` clears every service between tests. Every request is counted.
 */
export class MotoServer {
  /** The account moto's STS answers with. */
  readonly account = '123456789012';
  readonly credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  url = '';
  private child: ChildProcess | undefined;

  /**
   * `accountFromCredentials`: each request is served in the account of its credentials (a session
   * from STS AssumeRole or AssumeRoleWithWebIdentity acts in its role's account; plain keys in
   * `account`), as moto does when MOTO_ACCOUNT_ID is unset. Otherwise every request is in `account`.
   */
  constructor(private readonly options: { accountFromCredentials?: boolean } = {}) {}

  async start(): Promise<this> {
    const port = await freePort();
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: this.env() });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    this.url = `http://127.0.0.1:${port}`;
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`moto_server exited ${child.exitCode}: ${stderr}`);
      const ok = await fetch(`${this.url}/moto-api/`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() - started > 20_000) throw new Error(`moto_server did not start within 20 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return this;
  }

  private env(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    if (this.options.accountFromCredentials) delete env.MOTO_ACCOUNT_ID;
    else env.MOTO_ACCOUNT_ID = this.account;
    return env;
  }

  async reset(): Promise<void> {
    const res = await fetch(`${this.url}/moto-api/reset`, { method: 'POST' });
    if (!res.ok) throw new Error(`moto reset answered ${res.status}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
