import { DriftGuardError } from '../../src/errors.ts';
import type { Redactor } from '../../src/redact.ts';
import { httpCall } from '../../src/http.ts';
import { inertText } from '../../src/report/inert.ts';
import type { DriftConfig } from './schema.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One transition as GET /rest/api/2/issue/{key}/transitions lists it: where it leads is `to`. */
export interface JiraTransition {
  id: string;
  name: string;
  to: { id: string; name: string };
}

/**
 * Reads the transitions answer (`{ transitions: [{ id, name, to: { id, name } }] }`). Any other
 * shape is an error: an answer that cannot be read never counts as "no transition".
 */
export function readTransitions(answer: unknown, key: string): JiraTransition[] {
  const list = isObj(answer) ? answer.transitions : undefined;
  const bad = () => new DriftGuardError('run_incomplete', `Jira (GET transitions of ${key}) answered an unexpected shape: expected { transitions: [{ id, name, to: { id, name } }] }`);
  if (!Array.isArray(list)) throw bad();
  return list.map((t) => {
    if (!isObj(t) || typeof t.id !== 'string' || !isObj(t.to) || (typeof t.to.id !== 'string' && typeof t.to.name !== 'string')) throw bad();
    return { id: t.id, name: typeof t.name === 'string' ? t.name : '', to: { id: typeof t.to.id === 'string' ? t.to.id : '', name: typeof t.to.name === 'string' ? t.to.name : '' } };
  });
}

/** The transition that leads to `status` (a status name, case-insensitive, or a status id), if any. */
export function transitionTo(transitions: readonly JiraTransition[], status: string): JiraTransition | undefined {
  const wanted = status.trim().toLowerCase();
  return transitions.find((t) => t.to.id === status.trim() || t.to.name.trim().toLowerCase() === wanted);
}

/**
 * Jira Cloud's REST API v2 with an API token: create a ticket, move it to the configured status
 * (`done_status`) by whichever transition leads there, whatever that transition is called.
 */
export function jiraClient(config: DriftConfig['jira'], env: Readonly<Record<string, string | undefined>>, redactor: Redactor) {
  const url = env[config.url_env]?.replace(/\/$/, '');
  const email = env[config.email_env];
  const token = env[config.token_env];
  if (!url || !email || !token) throw new DriftGuardError('usage', `Jira needs ${config.url_env}, ${config.email_env} and ${config.token_env}`);
  redactor.add(token);
  const auth = `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
  redactor.add(auth.slice(6));
  const call = (method: string, path: string, body?: unknown) =>
    httpCall(`Jira (${method} ${path})`, `${url}${path}`, { method, headers: { authorization: auth, accept: 'application/json', 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  // done_transition is the older spelling; it names the status too (Jira's default "Done" is both).
  const doneStatus = config.done_status ?? config.done_transition ?? 'Done';
  return {
    doneStatus,
    /** Creates a ticket and returns its key (`OPS-7`); an answer without a key is an error. */
    async create(summary: string, description: string): Promise<string> {
      const out = await call('POST', '/rest/api/2/issue', { fields: { project: { key: config.project }, issuetype: { name: config.issue_type }, summary, description, labels: ['driftguard', 'drift'] } });
      if (typeof out.key !== 'string' || !/^[A-Z][A-Z0-9]+-\d+$/.test(out.key)) {
        throw new DriftGuardError('run_incomplete', `Jira (POST /rest/api/2/issue) answered without an issue key: ${inertText(JSON.stringify(out), 200)}`);
      }
      return out.key;
    },
    /**
     * Moves the ticket to `doneStatus`. `{ ok: false, reason }` when no transition leads there
     * (the reason lists where the offered ones lead); throws on an unreadable answer or HTTP error.
     */
    async transition(key: string): Promise<{ ok: true } | { ok: false; reason: string }> {
      const path = `/rest/api/2/issue/${encodeURIComponent(key)}/transitions`;
      const transitions = readTransitions(await call('GET', path), key);
      const done = transitionTo(transitions, doneStatus);
      if (!done) {
        const offered = transitions.map((t) => `${inertText(t.name, 60)} -> ${inertText(t.to.name || t.to.id, 60)}`).join(', ') || 'none';
        return { ok: false, reason: `no transition leads to status "${inertText(doneStatus, 60)}" (offered: ${offered})` };
      }
      await call('POST', path, { transition: { id: done.id } });
      return { ok: true };
    },
  };
}
