import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../modules/registry.ts';
import { DriftGuardError } from '../../src/errors.ts';
import { toMermaid } from '../../src/graph.ts';
import { advance, buildLifecycleMachine, type Facts } from '../../src/lifecycle/machine.ts';
import { readVerdict } from '../../src/lifecycle/enforce.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runCli } from '../helpers/cli.ts';

const EXAMPLE_FILE = 'examples/lifecycles/dual-lane.yaml';
const EXAMPLE = readFileSync(EXAMPLE_FILE, 'utf8');

async function problems(text: string): Promise<string[]> {
  try {
    await parsePolicy('policy.yaml', text, REGISTRY);
  } catch (err) {
    expect(err).toBeInstanceOf(DriftGuardError);
    expect((err as DriftGuardError).exitCode).toBe(2);
    return [...(err as DriftGuardError).details];
  }
  return [];
}

/** A small valid lifecycle, with `extra` lines added under its states. */
const policy = (states: string, head = '') => `version: 1
lifecycles:
  flow:
    initial: open
    roles:
      owner: { teams: [acme/owners] }
    checks: [ci]
${head}    states:
${states}`;

const VALID = `      open:
        label: open
        transitions:
          - { on: check, check: ci, to: done, roles: [owner] }
      done:
        label: done
        final: true
`;

describe('lifecycles in policy.yaml', () => {
  it('accepts the shipped dual-lane example and a small lifecycle', async () => {
    expect(await problems(EXAMPLE)).toEqual([]);
    expect(await problems(policy(VALID))).toEqual([]);
  });

  it('refuses an unreachable state, a state with no way out and a label used twice, each at its line and column', async () => {
    const found = await problems(policy(`      open:
        label: open
        transitions:
          - { on: push, to: stuck }
      stuck:
        label: Open
      island:
        label: island
        final: true
`));
    expect(found).toEqual([
      'policy.yaml:13:7 lifecycles.flow.states.stuck: state "stuck" has no way out: give it a transition, or mark it final: true',
      'policy.yaml:14:16 lifecycles.flow.states.stuck.label: label "Open" already shows state "open"; each state needs a label of its own',
      'policy.yaml:15:7 lifecycles.flow.states.island: state "island" is unreachable: no transition from "open" leads to it',
    ]);
  });

  it('refuses a transition naming an unknown state, role, check or event, with suggestions', async () => {
    const found = await problems(policy(`      open:
        label: open
        transitions:
          - { on: chek, check: ci, to: done }
          - { on: check, check: lint, to: don, roles: [ownr] }
          - { on: command, command: /go, to: done, require: { checks: [cj], approvals: { count: 1, role: boss } } }
      done:
        label: done
        final: true
`));
    expect(found).toEqual([
      'policy.yaml:12:19 lifecycles.flow.states.open.transitions[0].on: unknown event "chek" (did you mean "check"?); events are label, command, marker, push, review, check, workflow, timeout, merged, closed',
      'policy.yaml:13:33 lifecycles.flow.states.open.transitions[1].check: unknown check "lint"; checks and workflows declared under checks are ci',
      'policy.yaml:13:43 lifecycles.flow.states.open.transitions[1].to: unknown state "don" (did you mean "done"?); states are open, done',
      'policy.yaml:13:56 lifecycles.flow.states.open.transitions[1].roles[0]: unknown role "ownr" (did you mean "owner"?); roles are owner',
      'policy.yaml:14:72 lifecycles.flow.states.open.transitions[2].require.checks[0]: unknown check "cj" (did you mean "ci"?); checks and workflows declared under checks are ci',
      'policy.yaml:14:106 lifecycles.flow.states.open.transitions[2].require.approvals.role: unknown role "boss"; roles are owner',
    ]);
  });

  it('refuses an unknown initial state, parameters that do not fit the trigger, DriftGuard\'s own check, and unknown keys (did you mean)', async () => {
    const found = await problems(`version: 1
lifecycles:
  flow:
    initial: start
    checks: [driftguard/doc-sync]
    states:
      open:
        label: open
        transitions:
          - { on: timeout, to: done, check: driftguard/doc-sync }
          - { on: command, command: /go, to: done, reason: true, args: GO }
      done:
        label: done
        final: true
`);
    expect(found).toEqual([
      'policy.yaml:4:14 lifecycles.flow.initial: unknown state "start"; states are open, done',
      'policy.yaml:5:14 lifecycles.flow.checks[0]: "driftguard/doc-sync" is DriftGuard\'s own check; a lifecycle cannot read what DriftGuard itself wrote',
      'policy.yaml:10:13 lifecycles.flow.states.open.transitions[0]: a transition on timeout needs "after"',
      'policy.yaml:10:38 lifecycles.flow.states.open.transitions[0].check: "check" does not apply to a transition on timeout',
    ]);
    // An unknown key and the lifecycle's own rules, reported in one run.
    expect(await problems(policy(VALID.replace('roles: [owner] }', 'roles: [owner], reson: true }').replace('to: done', 'to: dome')))).toEqual([
      'policy.yaml:12:41 lifecycles.flow.states.open.transitions[0].to: unknown state "dome" (did you mean "done"?); states are open, done',
      'policy.yaml:12:63 lifecycles.flow.states.open.transitions[0].reson: unknown key "reson"; did you mean "reason"?',
      'policy.yaml:13:7 lifecycles.flow.states.done: state "done" is unreachable: no transition from "open" leads to it',
    ]);
  });

  it('refuses a role no one can hold, a final state with a way out, and a mergeable final state', async () => {
    const found = await problems(policy(`      open:
        label: open
        transitions:
          - { on: check, check: ci, to: done, roles: [owner] }
      done:
        label: done
        final: true
        mergeable: true
        transitions:
          - { on: push, to: open }
`).replace('owner: { teams: [acme/owners] }', 'owner: {}'));
    expect(found).toEqual([
      'policy.yaml:6:14 lifecycles.flow.roles.owner: role "owner" names no team and no permission, so no one holds it',
      'policy.yaml:16:20 lifecycles.flow.states.done.mergeable: state "done" is final: a pull request there is already merged or closed, so mergeable means nothing',
      'policy.yaml:18:11 lifecycles.flow.states.done.transitions: state "done" is final: it can have no transitions',
    ]);
  });

  it('reads a verdict only from a check whose GitHub App is named, and refuses a check listed twice', async () => {
    const withVerdict = (checks: string) =>
      policy(`      open:
        label: open
        transitions:
          - { on: push, to: done, require: { verdict: { check: review, min_confidence: 90 } } }
      done:
        label: done
        final: true
`).replace('checks: [ci]', `checks: ${checks}`);
    expect(await problems(withVerdict('[review]'))).toEqual([
      'policy.yaml:12:64 lifecycles.flow.states.open.transitions[0].require.verdict.check: a verdict is read only from a check whose GitHub App is named: declare it under checks as { name: review, app: APP-SLUG }, or any workflow or app that can post check runs could give it',
    ]);
    expect(await problems(withVerdict('[{ name: review, app: review-bot }]'))).toEqual([]);
    expect(await problems(withVerdict('[{ name: review, app: review-bot }, review]'))).toEqual(['policy.yaml:7:49 lifecycles.flow.checks[1]: check "review" is listed twice']);
    expect((await problems(withVerdict('[{ name: review, app: "Review Bot" }]')))[0]).toMatch(/lifecycles\.flow\.checks\[0\]/);
  });

  it('driftguard validate accepts the example and names its lifecycle', async () => {
    const { stdout, code } = await runCli(['validate', EXAMPLE_FILE], { cwd: process.cwd() });
    expect(code).toBe(0);
    expect(stdout).toBe(`${EXAMPLE_FILE}: valid policy; lifecycles: dual-lane (7 states)\n`);
  });

  it('draws the machine that runs: driftguard graph --lifecycle is toMermaid of buildLifecycleMachine', async () => {
    const { stdout, code } = await runCli(['graph', '--lifecycle', 'dual-lane', '--policy', EXAMPLE_FILE], { cwd: process.cwd() });
    expect(code).toBe(0);
    const loaded = await parsePolicy(EXAMPLE_FILE, EXAMPLE, REGISTRY);
    expect(stdout).toBe(toMermaid(buildLifecycleMachine(loaded.lifecycles['dual-lane']!)));
    expect(stdout).toContain('  [*] --> building\n');
    expect(stdout).toContain('  gates_running --> escalated: after 4h\n');
    expect(stdout).toContain('  escalated --> ready_to_merge: /approve with a reason, by lead\n');
    expect(stdout).toContain('  merged --> [*]\n');
    const unknown = await runCli(['graph', '--lifecycle', 'dual-lan', '--policy', EXAMPLE_FILE], { cwd: process.cwd() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--lifecycle dual-lan: the policy declares no such lifecycle (did you mean "dual-lane"?)');
  });

  it('the machine takes the first transition whose trigger, role and guards hold, and names what failed otherwise', async () => {
    const lifecycle = (await parsePolicy(EXAMPLE_FILE, EXAMPLE, REGISTRY)).lifecycles['dual-lane']!;
    const machine = buildLifecycleMachine(lifecycle);
    const facts: Facts = { roles: ['supervisor'], approvals: { supervisor: 1 }, checks: { gates: 'success', 'ai-review': 'success' }, verdicts: { 'ai-review': { verdict: 'PASS', confidence: 85 } } };
    expect(advance(machine, lifecycle, 'gates_running', { type: 'command', actor: 'sue', command: '/verify', args: 'pass', rest: 'pass', facts }).to).toBe('ready_to_merge');
    const failing = advance(machine, lifecycle, 'gates_running', { type: 'command', actor: 'sue', command: '/verify', args: 'PASS', rest: 'PASS', facts: { ...facts, checks: { gates: null } } });
    expect(failing.to).toBe('gates_running');
    expect(failing.refused[0]!.rule).toBe('needs check gates to pass on the head commit (it is still running)');
    expect(advance(machine, lifecycle, 'gates_running', { type: 'timeout', actor: 'x', elapsedMs: 4 * 3_600_000 - 1, facts }).to).toBe('gates_running');
    expect(advance(machine, lifecycle, 'gates_running', { type: 'timeout', actor: 'x', elapsedMs: 4 * 3_600_000, facts }).to).toBe('escalated');
    // A final state takes nothing.
    expect(advance(machine, lifecycle, 'merged', { type: 'push', actor: 'x', facts }).to).toBe('merged');
  });

  it('reads a verdict only from its own lines of a check run\'s output', () => {
    expect(readVerdict('Review\nverdict: PASS\nconfidence: 92%')).toEqual({ verdict: 'PASS', confidence: 92 });
    expect(readVerdict('the verdict: PASS is not a line of its own\nconfidence: 120%')).toEqual({});
    expect(readVerdict('Verdict: fail\nconfidence: 40')).toEqual({ verdict: 'FAIL', confidence: 40 });
  });
});
