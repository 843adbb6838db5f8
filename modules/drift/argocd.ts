import { DriftGuardError } from '../../src/errors.ts';
import type { Redactor } from '../../src/redact.ts';
import { httpCall } from '../../src/http.ts';

export interface ArgoApp {
  name: string;
  sync: string;
  health: string;
  project: string;
}

/** Argo CD's REST API (ARGOCD_SERVER, ARGOCD_AUTH_TOKEN): applications and their sync status. */
export function argoClient(env: Readonly<Record<string, string | undefined>>, redactor: Redactor) {
  const server = env.ARGOCD_SERVER?.replace(/\/$/, '');
  const token = env.ARGOCD_AUTH_TOKEN;
  if (!server || !token) throw new DriftGuardError('usage', 'Argo CD needs ARGOCD_SERVER and ARGOCD_AUTH_TOKEN');
  redactor.add(token);
  const base = /^https?:\/\//.test(server) ? server : `https://${server}`;
  const get = (path: string) => httpCall(`Argo CD (${path})`, `${base}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  const toApp = (a: Record<string, any>): ArgoApp => ({ name: String(a.metadata?.name ?? ''), sync: String(a.status?.sync?.status ?? 'Unknown'), health: String(a.status?.health?.status ?? 'Unknown'), project: String(a.spec?.project ?? '') });
  return {
    async list(): Promise<ArgoApp[]> {
      return ((await get('/api/v1/applications')).items ?? []).map(toApp);
    },
    async get(name: string): Promise<ArgoApp> {
      return toApp(await get(`/api/v1/applications/${encodeURIComponent(name)}`));
    },
  };
}
