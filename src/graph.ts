import type { AnyStateMachine } from 'xstate';

interface Node {
  key: string;
  id: string;
  type: string;
  states: Record<string, Node>;
  on: Record<string, Array<{ target?: Node[]; guard?: string | { type?: string; params?: unknown } }>>;
  always?: Array<{ target?: Node[]; guard?: string | { type?: string; params?: unknown } }>;
  after: Array<{ delay: unknown; target?: Node[] }>;
  initial?: { target: Node[] };
}

const mermaidId = (node: Node) => node.id.replace(/^driftguard\.?/, '').replace(/[^A-Za-z0-9_]/g, '_') || 'root';

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** Words for the engine's guards, so that every edge says which outcome takes it. */
const GUARD_LABEL: Record<string, string> = { someStepBlocks: 'a step blocks' };

type Guard = string | { type?: string; params?: unknown } | undefined;
const guardType = (guard: Guard) => (typeof guard === 'string' ? guard : guard?.type);

function label(from: Node, eventType: string, guard: Guard): string {
  if (eventType.startsWith('xstate.done.actor')) return 'done';
  if (eventType.startsWith('xstate.error.actor')) return 'error';
  const params = typeof guard === 'object' ? guard.params : undefined;
  if (params && typeof params === 'object' && 'event' in params) return `event ${(params as { event: string }).event}`;
  // A lifecycle's transitions carry their own words (trigger, roles, guards).
  if (params && typeof params === 'object' && 'label' in params) return String((params as { label: unknown }).label);
  const type = guardType(guard);
  if (type && GUARD_LABEL[type]) return GUARD_LABEL[type]!;
  if (eventType.startsWith('xstate.done.state')) return from.on[eventType]!.some((t) => guardType(t.guard) === 'someStepBlocks') ? 'nothing blocks' : 'finished';
  if (eventType === '' && from.key === 'routing') return 'no workflow for the event';
  return eventType;
}

export interface GraphOptions {
  /** Only draw the route of this event. */
  event?: string;
  /** States to highlight (the path a run took), as recorded by the engine. */
  visited?: readonly string[];
}

/** Draws the machine as a Mermaid state diagram, read from the very machine the engine runs. */
export function toMermaid(machine: AnyStateMachine, options: GraphOptions = {}): string {
  const root = machine.root as unknown as Node;
  const lines = ['stateDiagram-v2'];
  const workflows = workflowKeys(root);
  const keep = (node: Node) => {
    const top = node.id.split('.')[1];
    return !options.event || top === undefined || !workflows.has(top) || top === options.event;
  };

  const edges = (node: Node, indent: string) => {
    const from = mermaidId(node);
    const seen = new Set<string>();
    const add = (targets: Node[] | undefined, text: string) => {
      for (const target of targets ?? []) {
        if (!keep(target)) continue;
        const to = mermaidId(target);
        const line = `${indent}${from} --> ${to}${text ? `: ${text}` : ''}`;
        if (!seen.has(line)) lines.push(line);
        seen.add(line);
      }
    };
    for (const t of node.always ?? []) add(t.target, label(node, '', t.guard));
    for (const [type, transitions] of Object.entries(node.on)) {
      if (type.startsWith('xstate.after')) continue;
      for (const t of transitions) add(t.target, label(node, type, t.guard));
    }
    for (const t of node.after) add(t.target, `timeout ${typeof t.delay === 'number' ? duration(t.delay) : String(t.delay)}`);
  };

  const walk = (node: Node, indent: string) => {
    for (const child of Object.values(node.states)) {
      if (!keep(child)) continue;
      const id = mermaidId(child);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state "${child.key}" as ${id} {`);
        const initial = child.initial?.target[0];
        if (initial) lines.push(`${indent}  [*] --> ${mermaidId(initial)}`);
        walk(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.key}" as ${id}`);
        if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
      }
      edges(child, indent);
    }
  };

  const initial = root.initial?.target[0];
  if (initial) lines.push(`  [*] --> ${mermaidId(initial)}`);
  walk(root, '  ');
  if (options.visited && options.visited.length > 0) {
    lines.push('  classDef visited fill:#d3f9d8,stroke:#2b8a3e,font-weight:bold');
    const ids = new Set(options.visited.flatMap((name) => {
      const parts = name.split('.');
      return parts.map((_, i) => parts.slice(0, i + 1).join('_'));
    }));
    for (const id of ids) lines.push(`  class ${id.replace(/[^A-Za-z0-9_]/g, '_')} visited`);
  }
  return `${lines.join('\n')}\n`;
}

function workflowKeys(root: Node): Set<string> {
  const fixed = new Set(['routing', 'overriding', 'deciding', 'reporting', 'done', 'failed']);
  return new Set(Object.keys(root.states).filter((k) => !fixed.has(k)));
}
