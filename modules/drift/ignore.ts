import type { DriftItem } from './classify.ts';
import { exactAddress, exactRule, matchesPrefix, parsePath, parseRule, type PathSegment, type RuleSegment } from './path.ts';

interface Compiled {
  text: string;
  negate: boolean;
  segments: RuleSegment[];
  /** Matched against the full address only (the baseline's rules), never `type.name`. */
  fullOnly: boolean;
}

/** Parses rules once; throws `Error` naming the first rule with bad syntax. */
export function compileRules(rules: readonly string[], options: { fullOnly?: boolean } = {}): Compiled[] {
  return rules.map((text) => {
    const negate = text.startsWith('!');
    try {
      return { text, negate, segments: parseRule(negate ? text.slice(1) : text), fullOnly: options.fullOnly ?? false };
    } catch (err) {
      throw new Error(`ignore rule ${JSON.stringify(text)}: ${(err as Error).message}`);
    }
  });
}

/** The names a resource answers to: its full address, and `type.name` (module path and index dropped). */
function resourceForms(item: DriftItem): PathSegment[][] {
  let full: PathSegment[];
  try {
    full = parsePath(item.address);
  } catch {
    full = [item.address];
  }
  return [full, [item.type, item.name]];
}

/**
 * Ignore rules (the policy's `ignore`, then the baseline's), in order, the last matching rule deciding: a rule on a resource covers all of its
 * attributes; a rule on an attribute, everything inside it; `!rule` re-includes what an earlier
 * rule ignored. Rules are matched segment by segment against the full address
 * (`module.net.aws_subnet.private[1]`) and against `type.name`, each followed by the attribute path.
 * The baseline's rules are exact records of one resource's drift: they match the full address
 * only, so a root resource's rule never covers a module's copy. A changed resource is ignored when
 * every drifted attribute is; a deleted resource only by a rule on the resource itself.
 */
export function applyIgnore(items: readonly DriftItem[], rules: readonly string[], baseline: readonly string[] = []): { kept: DriftItem[]; ignored: string[] } {
  const compiled = [...compileRules(rules), ...compileRules(baseline, { fullOnly: true })];
  const ignoredAt = (forms: PathSegment[][], extra: readonly PathSegment[]) => {
    let ignored = false;
    // A rule must match all of its segments, so a rule on an attribute never ignores a resource as a whole.
    for (const rule of compiled) {
      if ((rule.fullOnly ? forms.slice(0, 1) : forms).some((form) => matchesPrefix(rule.segments, [...form, ...extra]))) ignored = !rule.negate;
    }
    return ignored;
  };
  const kept: DriftItem[] = [];
  const ignored: string[] = [];
  for (const item of items) {
    const forms = resourceForms(item);
    if (item.kind === 'deleted' || item.attributes.length === 0) {
      if (ignoredAt(forms, [])) ignored.push(item.address);
      else kept.push(item);
      continue;
    }
    const attributes = item.attributes.filter((a) => !ignoredAt(forms, a.segments));
    if (attributes.length === 0) ignored.push(item.address);
    else kept.push({ ...item, attributes });
  }
  return { kept, ignored };
}

/**
 * Rules that accept today's drift exactly: one per drifted attribute of each changed resource
 * (full address, glob characters escaped), one per deleted resource. Accepting today's tag drift
 * never hides tomorrow's password change.
 */
export function baselineRules(items: readonly DriftItem[]): string[] {
  const rules = items.flatMap((item) => {
    const address = exactAddress(item.address);
    if (item.kind === 'deleted' || item.attributes.length === 0) return [address];
    return item.attributes.map((a) => `${address}${exactRule(a.segments).replace(/^(?!\[)/, '.')}`);
  });
  return [...new Set(rules)].sort();
}
