import { createHash } from 'node:crypto';

/** One share of a matrix of jobs: the `index`-th of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** "i/n" with 0 <= i < n, as a GitHub Actions matrix counts; undefined when not given. @throws Error naming the value */
export function parseShard(text: unknown): Shard | undefined {
  if (text === undefined || text === null || text === '') return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(String(text));
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new Error(`--shard must be "i/n" with 0 <= i < n, got "${String(text)}"`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** Whether the item with this stable key falls in the shard (SHA-256 of the key): adding items moves no other. */
export function keyInShard(key: string, shard: Shard | undefined): boolean {
  if (!shard) return true;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % shard.count === shard.index;
}
