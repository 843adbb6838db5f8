import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ENV_NAME, isCompose, type Hit } from './detectors.ts';

function lineOf(counter: LineCounter, node: Node | null | undefined): number | undefined {
  return node?.range ? counter.linePos(node.range[0]).line : undefined;
}

/** `environment:` (list or map form) under every service of a compose file, and every `env:` map of a workflow. */
export function yamlEnvHits(path: string, text: string): Hit[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false });
  if (doc.errors.length > 0) return [];
  const compose = isCompose(path);
  const hits: Hit[] = [];
  const detector = compose ? 'compose.environment' : 'workflow.env';
  const wanted = compose ? 'environment' : 'env';

  const collect = (value: unknown) => {
    if (isMap(value)) {
      for (const pair of value.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const line = lineOf(counter, pair.key as Node);
        if (key && line && ENV_NAME.test(key)) hits.push({ name: key, line, detector, kind: 'environment variable' });
      }
    } else if (isSeq(value)) {
      for (const item of value.items) {
        if (!isScalar(item)) continue;
        const name = String(item.value).split('=')[0]!.trim();
        const line = lineOf(counter, item);
        if (line && ENV_NAME.test(name)) hits.push({ name, line, detector, kind: 'environment variable' });
      }
    }
  };

  const walk = (node: unknown, depth: number) => {
    if (depth > 12) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (key === wanted) collect(pair.value);
        else walk(pair.value, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item, depth + 1);
    }
  };
  walk(doc.contents, 0);
  return hits;
}
