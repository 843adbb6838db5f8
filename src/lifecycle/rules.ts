import type { PolicyProblem } from '../policy/problem.ts';
import { didYouMean } from '../suggest.ts';
import { checkSources, TRIGGER_PARAMS, TRIGGERS, type Lifecycle, type TriggerKind } from './schema.ts';

const PARAMS = ['command', 'args', 'marker', 'review', 'check', 'workflow', 'conclusion', 'after'] as const;

/**
 * What zod cannot see in one lifecycle: every name a transition uses must exist (state, role,
 * check, trigger), each trigger has exactly its parameters, every state is reachable from the
 * initial one, every state that is not final has a way out, a final one has none, and no label
 * shows two states. Paths are relative to `lifecycles.NAME`.
 */
export function lifecycleProblems(lifecycle: Lifecycle): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const states = Object.keys(lifecycle.states);
  const roles = Object.keys(lifecycle.roles);
  const sources = checkSources(lifecycle);
  const checks = [...sources.keys()];
  const unknown = (what: string, name: string, known: readonly string[]) =>
    `unknown ${what} "${name}"${didYouMean(name, known)}; ${what === 'check' ? 'checks and workflows declared under checks' : `${what}s`} are ${known.join(', ') || '(none)'}`;

  if (!lifecycle.states[lifecycle.initial]) problems.push({ path: ['initial'], message: unknown('state', lifecycle.initial, states) });
  for (const [name, role] of Object.entries(lifecycle.roles)) {
    if (role.teams.length === 0 && !role.permission) problems.push({ path: ['roles', name], message: `role "${name}" names no team and no permission, so no one holds it` });
  }

  const labels = new Map<string, string>();
  for (const [name, state] of Object.entries(lifecycle.states)) {
    const other = labels.get(state.label.toLowerCase());
    // GitHub label names are case-insensitive.
    if (other) problems.push({ path: ['states', name, 'label'], message: `label "${state.label}" already shows state "${other}"; each state needs a label of its own` });
    else labels.set(state.label.toLowerCase(), name);
    if (state.final && state.transitions.length > 0) problems.push({ path: ['states', name, 'transitions'], message: `state "${name}" is final: it can have no transitions` });
    if (!state.final && state.transitions.length === 0) problems.push({ path: ['states', name], at: 'key', message: `state "${name}" has no way out: give it a transition, or mark it final: true` });
    if (state.final && state.mergeable) problems.push({ path: ['states', name, 'mergeable'], message: `state "${name}" is final: a pull request there is already merged or closed, so mergeable means nothing` });

    state.transitions.forEach((t, i) => {
      const at = ['states', name, 'transitions', i];
      if (!lifecycle.states[t.to]) problems.push({ path: [...at, 'to'], message: unknown('state', t.to, states) });
      if (!(TRIGGERS as readonly string[]).includes(t.on)) {
        problems.push({ path: [...at, 'on'], message: `unknown event "${t.on}"${didYouMean(t.on, TRIGGERS)}; events are ${TRIGGERS.join(', ')}` });
      } else {
        const [required, optional] = TRIGGER_PARAMS[t.on as TriggerKind];
        for (const key of required) if (t[key as keyof typeof t] === undefined) problems.push({ path: at, message: `a transition on ${t.on} needs "${key}"` });
        for (const key of PARAMS) {
          if (t[key] !== undefined && !required.includes(key) && !optional.includes(key)) problems.push({ path: [...at, key], at: 'key', message: `"${key}" does not apply to a transition on ${t.on}` });
        }
        if (t.on === 'label' && name === t.to) problems.push({ path: [...at, 'to'], message: 'a label transition must lead to another state' });
        if (t.reason && t.on !== 'command') problems.push({ path: [...at, 'reason'], message: 'only a command can carry a written reason' });
      }
      t.roles.forEach((role, j) => {
        if (!lifecycle.roles[role]) problems.push({ path: [...at, 'roles', j], message: unknown('role', role, roles) });
      });
      const approvalsRole = t.require.approvals?.role;
      if (approvalsRole && !lifecycle.roles[approvalsRole]) problems.push({ path: [...at, 'require', 'approvals', 'role'], message: unknown('role', approvalsRole, roles) });
      if (t.check !== undefined && !checks.includes(t.check)) problems.push({ path: [...at, 'check'], message: unknown('check', t.check, checks) });
      if (t.workflow !== undefined && !checks.includes(t.workflow)) problems.push({ path: [...at, 'workflow'], message: unknown('check', t.workflow, checks) });
      t.require.checks.forEach((c, j) => {
        if (!checks.includes(c)) problems.push({ path: [...at, 'require', 'checks', j], message: unknown('check', c, checks) });
      });
      const verdict = t.require.verdict?.check;
      if (verdict !== undefined && !checks.includes(verdict)) problems.push({ path: [...at, 'require', 'verdict', 'check'], message: unknown('check', verdict, checks) });
      // A verdict decides a transition: it must come from a known author, not from any code that can post a check run.
      else if (verdict !== undefined && !sources.get(verdict)) {
        problems.push({ path: [...at, 'require', 'verdict', 'check'], message: `a verdict is read only from a check whose GitHub App is named: declare it under checks as { name: ${verdict}, app: APP-SLUG }, or any workflow or app that can post check runs could give it` });
      }
    });
  }
  const seenChecks = new Set<string>();
  lifecycle.checks.map((c) => (typeof c === 'string' ? c : c.name)).forEach((c, i) => {
    if (seenChecks.has(c)) problems.push({ path: ['checks', i], message: `check "${c}" is listed twice` });
    seenChecks.add(c);
    // DriftGuard's own checks are its output: no decision may rest on them.
    if (c.startsWith('driftguard/')) problems.push({ path: ['checks', i], message: `"${c}" is DriftGuard's own check; a lifecycle cannot read what DriftGuard itself wrote` });
  });

  if (lifecycle.states[lifecycle.initial]) {
    const seen = new Set([lifecycle.initial]);
    const queue = [lifecycle.initial];
    while (queue.length > 0) {
      for (const t of lifecycle.states[queue.shift()!]?.transitions ?? []) {
        if (lifecycle.states[t.to] && !seen.has(t.to)) {
          seen.add(t.to);
          queue.push(t.to);
        }
      }
    }
    for (const name of states) {
      if (!seen.has(name)) problems.push({ path: ['states', name], at: 'key', message: `state "${name}" is unreachable: no transition from "${lifecycle.initial}" leads to it` });
    }
  }
  return problems;
}
