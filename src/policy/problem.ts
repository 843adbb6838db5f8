import type { PathSegment } from './locate.ts';
import { showInvisible } from './types.ts';

/** One thing wrong with a policy: where (key path) and what. */
export interface PolicyProblem {
  path: readonly PathSegment[];
  message: string;
  /** Point at the key rather than its value (unknown keys, unknown names used as keys). */
  at?: 'key' | 'value';
}

export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? showInvisible(segment) : `.${showInvisible(segment)}`)).join('');
}
