import { RE2JS } from 're2js';
import type { CustomRule } from './schema.ts';

export interface CompiledRule {
  rule: CustomRule;
  regex: RE2JS;
  /** The group that holds the name: "name" when the pattern names one, else 1. */
  group: string | number;
}

export class MissingNameGroup extends Error {}

/**
 * Compiles a policy pattern with RE2 semantics (linear time); throws with RE2's own words.
 * Loaded only when a policy has custom rules (re2js is large); `matchAll` is in guard.ts.
 */
export function compileRule(rule: CustomRule): CompiledRule {
  const regex = RE2JS.compile(rule.pattern);
  const named = regex.namedGroups() as Record<string, number>;
  if ('name' in named) return { rule, regex, group: 'name' };
  if (regex.groupCount() < 1) throw new MissingNameGroup('the pattern needs a capture group for the name, e.g. "--([a-z-]+)" or "(?P<name>...)"');
  return { rule, regex, group: 1 };
}
