import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  line: number;
  col: number;
}

function keyOf(pair: { key: unknown }): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

/**
 * Finds where a key path sits in the YAML source. `at: 'key'` points at the key itself (for
 * unknown keys); otherwise at the value. A path that does not exist points at the nearest
 * ancestor that does.
 */
export function locate(doc: Document, counter: LineCounter, path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Position {
  let node: unknown = doc.contents;
  let offset = node && (node as Node).range ? (node as Node).range![0] : 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && String(keyOf(item)) === String(segment));
      if (!pair) break;
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      if (last && at === 'key' && keyNode?.range) {
        offset = keyNode.range[0];
        break;
      }
      if (valueNode?.range) {
        offset = valueNode.range[0];
      } else if (keyNode?.range) {
        offset = keyNode.range[0];
      }
      node = valueNode;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item?.range) break;
      offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  const pos = counter.linePos(offset);
  return { line: pos.line, col: pos.col };
}
