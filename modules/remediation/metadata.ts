/** The fields a remediation pull request carries in its body, one per line: `Field: value`. */
export const FIELDS = ['Drift Issue', 'Drift Type', 'Change Request ID', 'Environment', 'Cloud Provider', 'ArgoCD App', 'Jira Key'] as const;
export type Field = (typeof FIELDS)[number];

export interface Metadata {
  driftIssue: number;
  driftType: 'infra' | 'workload';
  changeRequest: string;
  environment: string;
  provider: 'aws' | 'azure' | 'gcp';
  argocdApp?: string;
  jiraKey?: string;
}

export interface FieldProblem {
  field: Field;
  message: string;
}

/** Reads `Field: value` lines (also `**Field**: value` and `- Field: value`), ignoring HTML comments. */
export function readFields(body: string): Map<string, string> {
  const fields = new Map<string, string>();
  const text = body.replace(/<!--[\s\S]*?-->/g, '');
  for (const line of text.split('\n')) {
    const m = /^\s*(?:[-*]\s*)?\**([A-Za-z][A-Za-z ]*?)\**\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const name = FIELDS.find((f) => f.toLowerCase() === m[1]!.trim().toLowerCase());
    if (name && !fields.has(name)) fields.set(name, m[2]!.replace(/^`|`$/g, '').trim());
  }
  return fields;
}

/** True when the body declares itself a drift remediation (it names a drift issue). */
export function isRemediation(body: string): boolean {
  return readFields(body).has('Drift Issue');
}

/**
 * Validates the metadata: every required field present and well-formed, each problem naming its
 * field. ArgoCD App is required for workload drift, Jira Key only when Jira is enabled.
 */
export function validateMetadata(body: string, options: { jira: boolean; environments?: readonly string[] }): { metadata?: Metadata; problems: FieldProblem[] } {
  const f = readFields(body);
  const problems: FieldProblem[] = [];
  const need = (field: Field, pattern: RegExp, hint: string): string | undefined => {
    const value = f.get(field);
    if (value === undefined || value === '') {
      problems.push({ field, message: `${field} is missing (${hint})` });
      return undefined;
    }
    if (!pattern.test(value)) {
      problems.push({ field, message: `${field} "${value}" is malformed (${hint})` });
      return undefined;
    }
    return value;
  };
  const issue = need('Drift Issue', /^(#|[\w.-]+\/[\w.-]+#)?\d+$/, 'the drift issue number, e.g. #123');
  const type = need('Drift Type', /^(infra|workload)$/i, 'infra or workload');
  const change = need('Change Request ID', /^[A-Z][A-Z0-9]*-\d+$/, 'e.g. CHG-1234');
  const environment = need('Environment', /^[a-z0-9][a-z0-9_-]*$/, 'e.g. prod');
  if (environment && options.environments && options.environments.length > 0 && !options.environments.includes(environment)) {
    problems.push({ field: 'Environment', message: `Environment "${environment}" is not one of ${options.environments.join(', ')}` });
  }
  const provider = need('Cloud Provider', /^(aws|azure|gcp)$/i, 'aws, azure or gcp');
  const workload = type?.toLowerCase() === 'workload';
  const argocd = workload ? need('ArgoCD App', /^[a-z0-9][a-z0-9.-]*$/, 'required for workload drift') : f.get('ArgoCD App') || undefined;
  const jira = options.jira ? need('Jira Key', /^[A-Z][A-Z0-9]+-\d+$/, 'required while Jira is enabled, e.g. OPS-42') : f.get('Jira Key') || undefined;
  if (problems.length > 0) return { problems };
  return {
    problems,
    metadata: {
      driftIssue: Number(issue!.replace(/^.*#/, '')),
      driftType: type!.toLowerCase() as Metadata['driftType'],
      changeRequest: change!,
      environment: environment!,
      provider: provider!.toLowerCase() as Metadata['provider'],
      ...(argocd ? { argocdApp: argocd } : {}),
      ...(jira ? { jiraKey: jira } : {}),
    },
  };
}
