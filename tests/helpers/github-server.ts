import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  accept?: string;
  query: URLSearchParams;
  body: any;
  authorization: string | undefined;
  /** Every request header (If-None-Match, Accept, ...). */
  headers?: Record<string, string | string[] | undefined>;
}

interface Comment {
  id: number;
  body: string;
  user: { login: string; type: string };
  created_at: string;
  updated_at: string;
  issue: number;
}

interface CheckRun {
  id: number;
  name: string;
  head_sha: string;
  external_id: string | null;
  status: string;
  conclusion: string | null;
  started_at: string;
  completed_at: string;
  output: { title: string | null; summary: string | null; text: string | null; annotations_count: number };
  annotations: unknown[];
  /** The GitHub App that posted it, as GitHub names it; runs created through this server are `checkRunApp`'s. */
  app?: { slug: string };
}

export interface WorkflowRun {
  id: number;
  name: string;
  event: string;
  status: string;
  conclusion: string | null;
  head_sha: string;
  head_branch: string;
  head_repository: { full_name: string };
  path: string;
  actor: { login: string };
  pull_requests: Array<{ number: number; head: { sha: string }; base: { sha: string } }>;
  html_url: string;
}

interface Status {
  id: number;
  sha: string;
  state: string;
  context: string;
  description: string | null;
  created_at: string;
}

/**
 * An in-memory GitHub REST API on loopback: the calls DriftGuard makes, with GitHub's shapes,
 * Link-header pagination and error bodies. It records every request.
 */
export class GitHubServer {
  readonly requests: Recorded[] = [];
  readonly pulls = new Map<number, { number: number; state: string; user: { login: string }; head: { sha: string; ref: string; repo?: { full_name: string } }; base: { sha: string; ref: string; repo?: { full_name: string } }; files: string[]; body?: string; merged?: boolean; merge_commit_sha?: string; changed_files?: number }>();
  readonly reviews = new Map<number, Array<{ user: { login: string; type?: string }; state: string; commit_id: string }>>();
  readonly comments: Comment[] = [];
  readonly permissions = new Map<string, string>();
  readonly teams = new Map<string, Set<string>>();
  readonly checkRuns: CheckRun[] = [];
  /** The app slug of the token the tests' clients use: check runs they create are this app's. */
  checkRunApp = 'github-actions';
  /** Commits GitHub knows: committer date (set by whoever commits) and when each check suite was created (server time, on push). */
  readonly commits = new Map<string, { committedAt: string; suites: string[]; message?: string }>();
  /** Pull request and issue events (head_ref_force_pushed, ...), server time. */
  readonly issueEvents: Array<{ issue: number; event: string; created_at: string; actor?: string; label?: string }> = [];
  /** Labels on pull requests (and issues served through the issue labels API), by number. */
  readonly labels = new Map<number, string[]>();
  /** Review requests received: pull request and team slugs. */
  readonly reviewRequests: Array<{ pr: number; teams: string[]; users: string[] }> = [];
  readonly statuses: Status[] = [];
  /** Paths (method + path regex, and Accept header when given) that answer a status instead of working; status 0 never answers. */
  readonly failures: Array<{ method: string; path: RegExp; accept?: RegExp; status: number; times?: number; message?: string }> = [];
  botLogin = 'github-actions[bot]';
  /** Repositories a repository_dispatch may reach, and the dispatches received. */
  readonly dispatchable = new Set<string>();
  /** What GitHub serves of the code: pull request diffs, and files per commit. */
  readonly diffs = new Map<number, string>();
  /** Per pull request, each file's status and GitHub-style `patch` (hunks only), as the files API serves them. */
  readonly patches = new Map<number, Map<string, { status: string; patch: string }>>();
  readonly trees = new Map<string, Map<string, string>>();
  readonly issues = new Map<number, { number: number; title: string; body: string; state: string; labels: string[] }>();
  readonly dispatches: Array<{ repo: string; event_type: string; client_payload: Record<string, unknown> }> = [];
  /** Actions: workflow runs, and the artifacts they uploaded (zip archives, served through a redirect). */
  readonly workflowRuns = new Map<number, WorkflowRun>();
  readonly artifacts: Array<{ id: number; run_id: number; name: string; zip: Buffer; expired?: boolean; size_in_bytes?: number }> = [];
  /** More API routes (an organisation's repositories, search), tried after authentication and `failures`, before the built-in ones; each returns true when it answered. */
  readonly routes: Array<(r: Recorded, send: (status: number, data: unknown, headers?: Record<string, string>) => void, url: URL, sendRaw: (status: number, text: string, headers: Record<string, string>) => void) => boolean> = [];
  /** Routes of the host program (a demo's control endpoint), tried before the API. */
  extraRoute?: (r: Recorded, send: (status: number, data: unknown) => void) => boolean;
  token = 'ghs_test_token_1234567890abcdef';
  private nextId = 1000;
  private clockMs = Date.parse('2026-11-20T10:00:00Z');
  private server: Server | undefined;
  url = '';

  /** Server time: every write moves it on by a second, so orderings are strict. */
  now(): string {
    this.clockMs += 1000;
    return new Date(this.clockMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /**
   * A push of `sha` as GitHub records it: a check suite created now (server time), the commit's own
   * date (now unless `committedAt` forges one), and for a pull request a new head, with a
   * head_ref_force_pushed event when `force` is set.
   */
  pushed(sha: string, options: { pr?: number; committedAt?: string; force?: boolean } = {}): void {
    const at = this.now();
    const known = this.commits.get(sha);
    if (known) known.suites.push(at);
    else this.commits.set(sha, { committedAt: options.committedAt ?? at, suites: [at] });
    if (options.pr !== undefined) {
      const pull = this.pulls.get(options.pr);
      if (pull) pull.head.sha = sha;
      if (options.force) this.issueEvents.push({ issue: options.pr, event: 'head_ref_force_pushed', created_at: at });
    }
  }

  /** Sets the server clock (later writes count on from it). */
  setClock(iso: string): void {
    this.clockMs = Date.parse(iso);
  }

  /** Someone adds a label to a pull request by hand: the label, and a `labeled` event with its actor. */
  label(pr: number, name: string, actor: string): void {
    const labels = this.labels.get(pr) ?? [];
    if (!labels.some((l) => l.toLowerCase() === name.toLowerCase())) labels.push(name);
    this.labels.set(pr, labels);
    this.issueEvents.push({ issue: pr, event: 'labeled', created_at: this.now(), actor, label: name });
  }

  /** Someone removes a label by hand. */
  unlabel(pr: number, name: string, actor: string): void {
    this.labels.set(pr, (this.labels.get(pr) ?? []).filter((l) => l.toLowerCase() !== name.toLowerCase()));
    this.issueEvents.push({ issue: pr, event: 'unlabeled', created_at: this.now(), actor, label: name });
  }

  addComment(issue: number, login: string, body: string, type = 'User'): Comment {
    const at = this.now();
    const comment = { id: this.nextId++, body, user: { login, type }, created_at: at, updated_at: at, issue };
    this.comments.push(comment);
    return comment;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const body = raw ? JSON.parse(raw) : undefined;
        const record: Recorded = { method: req.method ?? '', path: url.pathname, accept: req.headers.accept, query: url.searchParams, body, authorization: req.headers.authorization, headers: req.headers };
        this.requests.push(record);
        const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
          res.end(data === undefined ? '' : JSON.stringify(data));
        };
        if (this.extraRoute?.(record, send)) return;
        // Artifact storage: reached through GitHub's redirect, with no GitHub token.
        const blob = /^\/_storage\/artifacts\/(\d+)$/.exec(record.path);
        if (blob) {
          const artifact = this.artifacts.find((a) => a.id === Number(blob[1]));
          if (!artifact || record.authorization) return send(artifact ? 400 : 404, { message: artifact ? 'storage takes no Authorization header' : 'Not Found' });
          res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(artifact.zip.length) });
          return res.end(artifact.zip);
        }
        if (req.headers.authorization !== `token ${this.token}`) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
        const failure = this.failures.find((f) => f.method === record.method && f.path.test(record.path) && (!f.accept || f.accept.test(record.accept ?? '')) && (f.times === undefined || f.times > 0));
        if (failure) {
          if (failure.times !== undefined) failure.times--;
          // Status 0: GitHub never answers (the connection stays open until the client gives up).
          if (failure.status === 0) return;
          return send(failure.status, { message: failure.message ?? 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
        }
        const sendText = (text: string) => {
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(text);
        };
        try {
          const sendRaw = (status: number, text: string, headers: Record<string, string>) => {
            res.writeHead(status, headers);
            res.end(text);
          };
          for (const extra of this.routes) if (extra(record, send, url, sendRaw)) return;
          this.route(record, send, url, sendText);
        } catch (err) {
          send(500, { message: String(err) });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private page<T>(items: T[], url: URL, send: (s: number, d: unknown, h?: Record<string, string>) => void, wrap?: (items: T[]) => unknown) {
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${this.url}${next.pathname}${next.search}>; rel="next"`;
    }
    send(200, wrap ? wrap(slice) : slice, headers);
  }

  private route(r: Recorded, send: (s: number, d: unknown, h?: Record<string, string>) => void, url: URL, sendText: (text: string) => void): void {
    const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    let m: RegExpExecArray | null;
    const comment = (c: Comment) => ({ id: c.id, body: c.body, user: c.user, created_at: c.created_at, updated_at: c.updated_at, html_url: `https://github.test/c/${c.id}` });
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/labels$/.exec(r.path))) {
      const number = Number(m[1]);
      if (r.method === 'GET') return this.page((this.labels.get(number) ?? []).map((name, i) => ({ id: i + 1, name })), url, send);
      if (r.method === 'POST') {
        // Added with the token: GitHub records the bot as the actor.
        for (const name of r.body?.labels ?? []) this.label(number, name, this.botLogin);
        return send(200, (this.labels.get(number) ?? []).map((name, i) => ({ id: i + 1, name })));
      }
    }
    if (r.method === 'DELETE' && (m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/labels\/(.+)$/.exec(r.path))) {
      const number = Number(m[1]);
      const name = decodeURIComponent(m[2]!);
      if (!(this.labels.get(number) ?? []).some((l) => l.toLowerCase() === name.toLowerCase())) return send(404, { message: 'Label does not exist' });
      this.unlabel(number, name, this.botLogin);
      return send(200, (this.labels.get(number) ?? []).map((n, i) => ({ id: i + 1, name: n })));
    }
    if (r.method === 'POST' && (m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/requested_reviewers$/.exec(r.path))) {
      this.reviewRequests.push({ pr: Number(m[1]), teams: r.body?.team_reviewers ?? [], users: r.body?.reviewers ?? [] });
      return send(201, { number: Number(m[1]) });
    }
    if (/^\/repos\/[^/]+\/[^/]+\/issues$/.test(r.path)) {
      if (r.method === 'GET') {
        const label = url.searchParams.get('labels');
        const state = url.searchParams.get('state') ?? 'open';
        return this.page([...this.issues.values()].filter((i) => (state === 'all' || i.state === state) && (!label || i.labels.includes(label))).map((i) => ({ ...i, labels: i.labels.map((name) => ({ name })) })), url, send);
      }
      if (r.method === 'POST') {
        const number = 100 + this.issues.size;
        const issue = { number, title: r.body.title, body: r.body.body ?? '', state: 'open', labels: r.body.labels ?? [] };
        this.issues.set(number, issue);
        return send(201, { ...issue, labels: issue.labels.map((name: string) => ({ name })) });
      }
    }
    if (r.method === 'PATCH' && (m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/.exec(r.path))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return notFound();
      if (r.body.body !== undefined) issue.body = r.body.body;
      if (r.body.state) issue.state = r.body.state;
      return send(200, { ...issue, labels: issue.labels.map((name) => ({ name })) });
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)$/.exec(r.path))) {
      const run = this.workflowRuns.get(Number(m[1]));
      return run ? send(200, run) : notFound();
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/artifacts$/.exec(r.path))) {
      const artifacts = this.artifacts.filter((a) => a.run_id === Number(m![1])).map((a) => ({ id: a.id, name: a.name, size_in_bytes: a.size_in_bytes ?? a.zip.length, expired: a.expired ?? false, workflow_run: { id: a.run_id } }));
      return this.page(artifacts, url, send, (items) => ({ total_count: artifacts.length, artifacts: items }));
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/actions\/artifacts\/(\d+)\/zip$/.exec(r.path))) {
      const artifact = this.artifacts.find((a) => a.id === Number(m![1]));
      return artifact ? send(302, undefined, { location: `${this.url}/_storage/artifacts/${artifact.id}` }) : notFound();
    }
    if (r.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/pulls$/.test(r.path)) {
      // head=owner:branch, as GitHub filters it: the head repository's owner and the branch.
      const home = { full_name: `${r.path.split('/')[2]}/${r.path.split('/')[3]}` };
      const head = url.searchParams.get('head');
      const pulls = [...this.pulls.values()]
        .map((p) => ({ ...p, head: { repo: home, ...p.head }, base: { repo: home, ...p.base } }))
        .filter((p) => p.state === 'open' && (!head || `${p.head.repo.full_name.split('/')[0]}:${p.head.ref}` === head));
      return this.page(pulls.map((p) => ({ number: p.number, state: p.state, user: p.user, head: p.head, base: p.base })), url, send);
    }
    if (r.method === 'POST' && (m = /^\/repos\/([^/]+\/[^/]+)\/dispatches$/.exec(r.path))) {
      if (!this.dispatchable.has(m[1]!)) return notFound();
      if (!r.body?.event_type) return send(422, { message: 'Invalid request: event_type is required' });
      this.dispatches.push({ repo: m[1]!, event_type: r.body.event_type, client_payload: r.body.client_payload });
      return send(204, undefined);
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(r.path)) && /diff/.test(r.accept ?? '')) {
      const diff = this.diffs.get(Number(m[1]));
      return diff === undefined ? notFound() : sendText(diff);
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/contents\/(.+)$/.exec(r.path))) {
      const content = this.trees.get(url.searchParams.get('ref') ?? '')?.get(decodeURIComponent(m[1]!));
      return content === undefined ? notFound() : sendText(content);
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/git\/trees\/([^/]+)$/.exec(r.path))) {
      const tree = this.trees.get(m[1]!);
      return tree ? send(200, { sha: m[1], truncated: false, tree: [...tree.keys()].map((path) => ({ path, type: 'blob', mode: '100644' })) }) : notFound();
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(r.path))) {
      const pr = this.pulls.get(Number(m[1]));
      const home = { full_name: `${r.path.split('/')[2]}/${r.path.split('/')[3]}` };
      return pr ? send(200, { number: pr.number, state: pr.state, user: pr.user, head: { repo: home, ...pr.head }, base: { repo: home, ...pr.base }, body: pr.body ?? null, merged: pr.merged ?? false, merge_commit_sha: pr.merge_commit_sha ?? null, changed_files: pr.changed_files ?? pr.files.length }) : notFound();
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/reviews$/.exec(r.path))) {
      return this.page((this.reviews.get(Number(m[1])) ?? []).map((rv, i) => ({ id: i + 1, ...rv })), url, send);
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/files$/.exec(r.path))) {
      const pr = this.pulls.get(Number(m[1]));
      const patches = this.patches.get(Number(m[1]));
      return pr ? this.page(pr.files.map((filename) => ({ filename, status: patches?.get(filename)?.status ?? 'modified', ...(patches?.get(filename) ? { patch: patches.get(filename)!.patch } : {}) })), url, send) : notFound();
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(r.path))) {
      return this.page(this.comments.filter((c) => c.issue === Number(m![1])).map(comment), url, send);
    }
    if (r.method === 'POST' && (m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(r.path))) {
      return send(201, comment(this.addComment(Number(m[1]), this.botLogin, r.body.body, 'Bot')));
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(r.path))) {
      const c = this.comments.find((x) => x.id === Number(m![1]));
      if (!c) return notFound();
      if (r.method === 'GET') return send(200, comment(c));
      if (r.method === 'PATCH') {
        if (c.user.login !== this.botLogin) return send(403, { message: 'You cannot edit this comment' });
        c.body = r.body.body;
        c.updated_at = this.now();
        return send(200, comment(c));
      }
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/.exec(r.path))) {
      const role = this.permissions.get(decodeURIComponent(m[1]!));
      if (!role) return send(404, { message: 'Not Found' });
      // "name:base" is a custom repository role inheriting a base permission.
      const [name, base] = role.includes(':') ? (role.split(':') as [string, string]) : [role, role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role];
      return send(200, { permission: base, role_name: name, user: { login: m[1] } });
    }
    if (r.method === 'GET' && (m = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(r.path))) {
      return this.teams.get(`${m[1]}/${m[2]}`)?.has(m[3]!) ? send(200, { state: 'active', role: 'member' }) : notFound();
    }
    if (r.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/check-runs$/.test(r.path)) {
      const at = this.now();
      const run: CheckRun = {
        id: this.nextId++,
        name: r.body.name,
        head_sha: r.body.head_sha,
        external_id: r.body.external_id ?? null,
        status: r.body.status,
        conclusion: r.body.conclusion ?? null,
        started_at: at,
        completed_at: at,
        output: { title: r.body.output?.title ?? null, summary: r.body.output?.summary ?? null, text: r.body.output?.text ?? null, annotations_count: r.body.output?.annotations?.length ?? 0 },
        annotations: [...(r.body.output?.annotations ?? [])],
        app: { slug: this.checkRunApp },
      };
      if (run.annotations.length > 50) return send(422, { message: 'Only 50 annotations may be sent at a time' });
      this.checkRuns.push(run);
      return send(201, run);
    }
    if (r.method === 'PATCH' && (m = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(r.path))) {
      const run = this.checkRuns.find((x) => x.id === Number(m![1]));
      if (!run) return notFound();
      if (r.body.conclusion) run.conclusion = r.body.conclusion;
      if (r.body.status) run.status = r.body.status;
      if (r.body.output) {
        run.output.title = r.body.output.title ?? run.output.title;
        run.output.summary = r.body.output.summary ?? run.output.summary;
        run.output.text = r.body.output.text ?? run.output.text;
        run.annotations.push(...(r.body.output.annotations ?? []));
        run.output.annotations_count = run.annotations.length;
      }
      run.completed_at = this.now();
      return send(200, run);
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/check-runs$/.exec(r.path))) {
      const name = url.searchParams.get('check_name');
      const runs = this.checkRuns.filter((x) => x.head_sha === m![1] && (!name || x.name === name));
      return this.page(runs, url, send, (items) => ({ total_count: runs.length, check_runs: items }));
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/commits\/([0-9a-f]{7,40})$/.exec(r.path))) {
      const commit = this.commits.get(m[1]!);
      if (!commit) return send(422, { message: `No commit found for SHA: ${m[1]}` });
      const who = { name: 'Test', email: 'test@example.invalid', date: commit.committedAt };
      return send(200, { sha: m[1], commit: { author: who, committer: who, message: commit.message ?? 'change' }, files: [] });
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/check-suites$/.exec(r.path))) {
      const suites = (this.commits.get(m[1]!)?.suites ?? []).map((created_at, i) => ({ id: i + 1, head_sha: m![1], status: 'completed', app: { slug: 'github-actions' }, created_at, updated_at: created_at }));
      return this.page(suites, url, send, (items) => ({ total_count: suites.length, check_suites: items }));
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/events$/.exec(r.path))) {
      return this.page(this.issueEvents.filter((e) => e.issue === Number(m![1])).map((e, i) => ({ id: i + 1, event: e.event, created_at: e.created_at, actor: { login: e.actor ?? 'someone' }, ...(e.label ? { label: { name: e.label, color: 'ededed' } } : {}) })), url, send);
    }
    if (r.method === 'POST' && (m = /^\/repos\/[^/]+\/[^/]+\/statuses\/([^/]+)$/.exec(r.path))) {
      const status: Status = { id: this.nextId++, sha: m[1]!, state: r.body.state, context: r.body.context, description: r.body.description ?? null, created_at: this.now() };
      this.statuses.push(status);
      return send(201, status);
    }
    if (r.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/statuses$/.exec(r.path))) {
      return this.page(this.statuses.filter((s) => s.sha === m![1]).reverse(), url, send);
    }
    notFound();
  }

  /** Serves a real git repository's pull request the way GitHub does: its diff and its files. */
  serveRepository(dir: string, pr: number, base: string, head: string): void {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    this.diffs.set(pr, git('diff', '--no-color', '--no-renames', `${base}...${head}`));
    const patches = new Map<string, { status: string; patch: string }>();
    for (const line of git('diff', '--no-renames', '--name-status', `${base}...${head}`).split('\n').filter(Boolean)) {
      const [code, file] = line.split('\t') as [string, string];
      const full = git('diff', '--no-color', '--no-renames', `${base}...${head}`, '--', file);
      patches.set(file, { status: code === 'A' ? 'added' : code === 'D' ? 'removed' : 'modified', patch: full.slice(full.indexOf('@@')).replace(/\n$/, '') });
    }
    this.patches.set(pr, patches);
    // GitHub has the pull request itself too: its files are what the files API lists.
    if (!this.pulls.has(pr)) this.pulls.set(pr, { number: pr, state: 'open', user: { login: 'author' }, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' }, files: [...patches.keys()] });
    for (const sha of [base, head]) {
      const files = new Map<string, string>();
      for (const path of git('ls-tree', '-r', '--name-only', sha).split('\n').filter(Boolean)) files.set(path, git('show', `${sha}:${path}`));
      this.trees.set(sha, files);
    }
  }

  /** Stores an artifact a workflow run uploaded; returns its id. */
  addArtifact(runId: number, name: string, zip: Buffer, extra: { expired?: boolean; size_in_bytes?: number } = {}): number {
    const id = this.nextId++;
    this.artifacts.push({ id, run_id: runId, name, zip, ...extra });
    return id;
  }

  writes(): Recorded[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
