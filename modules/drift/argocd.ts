import { DriftGuardError } from '../../src/errors.ts';
import type { Redactor } from '../../src/redact.ts';
import { httpCall } from '../../src/http.ts';

/**
 * One Argo CD application as read from the API. Argo CD names an application by its namespace and
 * name (`team-a/web`): two projects may each hold a `web`, so the name alone identifies nothing.
 */
export interface ArgoApp {
  name: string;
  namespace: string;
  project: string;
  /** `Synced` or `OutOfSync` when `problem` is unset; whatever Argo CD said otherwise. */
  sync: string;
  health: string;
  /** Why the sync state cannot be trusted (an unknown status, a comparison error): never clean. */
  problem?: string;
}

/** The application's identity: `namespace/name`, as Argo CD itself writes it. */
export const appId = (app: Pick<ArgoApp, 'namespace' | 'name'>) => `${app.namespace}/${app.name}`;

/** Conditions under which Argo CD could not compare the live state with Git: the sync status says nothing. */
const COMPARISON_ERRORS = new Set(['ComparisonError', 'InvalidSpecError', 'UnknownError']);
const SYNC_STATES = new Set(['Synced', 'OutOfSync']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads one application object (`metadata.name`, `metadata.namespace`, `spec.project`,
 * `status.sync.status`, `status.health.status`, `status.conditions[]`). An object without a name
 * or namespace is an error (its identity is unknown); one whose sync status is neither Synced nor
 * OutOfSync, or that carries a comparison error condition, gets a `problem`.
 */
export function readApp(a: unknown, where: string): ArgoApp {
  const meta = isObj(a) && isObj(a.metadata) ? a.metadata : undefined;
  if (!meta || typeof meta.name !== 'string' || !meta.name || typeof meta.namespace !== 'string' || !meta.namespace) {
    throw new DriftGuardError('run_incomplete', `Argo CD (${where}) answered an application without metadata.name and metadata.namespace`);
  }
  const spec = isObj(a) && isObj(a.spec) ? a.spec : {};
  const status = isObj(a) && isObj(a.status) ? a.status : {};
  const sync = isObj(status.sync) && typeof status.sync.status === 'string' ? status.sync.status : '';
  const health = isObj(status.health) && typeof status.health.status === 'string' ? status.health.status : 'Unknown';
  const app: ArgoApp = { name: meta.name, namespace: meta.namespace, project: typeof spec.project === 'string' ? spec.project : '', sync: sync || 'Unknown', health };
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isObj) : [];
  const broken = conditions.find((c) => typeof c.type === 'string' && COMPARISON_ERRORS.has(c.type));
  if (broken) app.problem = `Argo CD cannot compare it with Git (${String(broken.type)}: ${typeof broken.message === 'string' ? broken.message : 'no message'})`;
  else if (!SYNC_STATES.has(sync)) app.problem = `Argo CD sync status ${sync ? `"${sync}"` : 'missing'}: neither Synced nor OutOfSync`;
  return app;
}

/** Argo CD's REST API (ARGOCD_SERVER, ARGOCD_AUTH_TOKEN): applications and their sync status. */
export function argoClient(env: Readonly<Record<string, string | undefined>>, redactor: Redactor) {
  const server = env.ARGOCD_SERVER?.replace(/\/$/, '');
  const token = env.ARGOCD_AUTH_TOKEN;
  if (!server || !token) throw new DriftGuardError('usage', 'Argo CD needs ARGOCD_SERVER and ARGOCD_AUTH_TOKEN');
  redactor.add(token);
  const base = /^https?:\/\//.test(server) ? server : `https://${server}`;
  const get = (path: string) => httpCall(`Argo CD (${path})`, `${base}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  return {
    /**
     * Every application the token can see. The answer must be an ApplicationList (`items`, null
     * when empty): anything else is an error, never "no applications".
     */
    async list(): Promise<ArgoApp[]> {
      const answer = await get('/api/v1/applications');
      if (!('items' in answer) || (answer.items !== null && !Array.isArray(answer.items))) {
        throw new DriftGuardError('run_incomplete', 'Argo CD (/api/v1/applications) answered something other than an application list (no "items")');
      }
      return ((answer.items ?? []) as unknown[]).map((a) => readApp(a, '/api/v1/applications'));
    },
    /** One application by namespace and name. */
    async get(name: string, namespace?: string): Promise<ArgoApp> {
      const path = `/api/v1/applications/${encodeURIComponent(name)}${namespace ? `?appNamespace=${encodeURIComponent(namespace)}` : ''}`;
      return readApp(await get(path), path);
    },
  };
}
