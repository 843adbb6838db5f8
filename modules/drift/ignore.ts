import picomatch from 'picomatch';
import type { DriftItem } from './classify.ts';

/**
 * Ignore rules, in order, the last match winning: "type.name" ignores a resource,
 * "type.name.attribute" one attribute of it; * globs anywhere; a leading ! re-includes.
 */
export function applyIgnore(items: readonly DriftItem[], rules: readonly string[]): { kept: DriftItem[]; ignored: string[] } {
  const compiled = rules.map((rule) => {
    const negate = rule.startsWith('!');
    return { negate, match: picomatch(negate ? rule.slice(1) : rule, { dot: true, noglobstar: false, nonegate: true }) };
  });
  const ignoredBy = (target: string) => {
    let ignored = false;
    for (const rule of compiled) if (rule.match(target)) ignored = !rule.negate;
    return ignored;
  };
  const kept: DriftItem[] = [];
  const ignored: string[] = [];
  for (const item of items) {
    const base = item.address.replace(/^module\.[^.]+\./, '').replace(/\[.*?\]/g, '');
    const id = `${item.type}.${item.name}`;
    if (ignoredBy(id) || ignoredBy(base)) {
      ignored.push(item.address);
      continue;
    }
    if (item.kind === 'changed') {
      const attributes = item.attributes.filter((a) => !ignoredBy(`${id}.${a.path}`));
      if (attributes.length === 0 && item.attributes.length > 0) {
        ignored.push(item.address);
        continue;
      }
      kept.push({ ...item, attributes });
    } else {
      kept.push(item);
    }
  }
  return { kept, ignored };
}

/** Rules that accept today's drift: one per drifted attribute, or per resource when it is gone. */
export function baselineRules(items: readonly DriftItem[]): string[] {
  return [...new Set(items.flatMap((i) => (i.kind === 'deleted' || i.attributes.length === 0 ? [`${i.type}.${i.name}`] : i.attributes.map((a) => `${i.type}.${i.name}.${a.path}`))))].sort();
}
