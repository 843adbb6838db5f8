import { DriftGuardError } from '../../src/errors.ts';
import type { Redactor } from '../../src/redact.ts';
import { httpCall } from '../../src/http.ts';
import type { DriftConfig } from './schema.ts';

/** Jira Cloud's REST API v2 with an API token: create a ticket, move it through a named transition. */
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
  return {
    async create(summary: string, description: string): Promise<string> {
      const out = await call('POST', '/rest/api/2/issue', { fields: { project: { key: config.project }, issuetype: { name: config.issue_type }, summary, description, labels: ['driftguard', 'drift'] } });
      return String(out.key);
    },
    async transition(key: string): Promise<boolean> {
      const { transitions = [] } = await call('GET', `/rest/api/2/issue/${encodeURIComponent(key)}/transitions`);
      const done = (transitions as Array<{ id: string; name: string }>).find((t) => t.name.toLowerCase() === config.done_transition.toLowerCase());
      if (!done) return false;
      await call('POST', `/rest/api/2/issue/${encodeURIComponent(key)}/transitions`, { transition: { id: done.id } });
      return true;
    },
  };
}
