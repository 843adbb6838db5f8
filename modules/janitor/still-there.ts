import { mapLimit } from '../../src/limit.ts';
import type { Resource, ResourceHandler } from './types.ts';

/**
 * Which of these resources still exist after their deletion: one batched question where the
 * handler has one (a listing of names, a describe by ids), otherwise a fresh read of each. Linear
 * in the resources deleted, never a full listing per deletion.
 */
export async function stillThere(handler: ResourceHandler, resources: readonly Resource[], concurrency: number): Promise<Set<string>> {
  if (resources.length === 0) return new Set();
  if (handler.remaining) return handler.remaining(resources);
  const found = await mapLimit(resources, concurrency, async (r) => ((await handler.get(r)) ? r.id : undefined));
  return new Set(found.filter((id): id is string => id !== undefined));
}
