import { z } from 'zod';
import { EVENT_NAMES } from '../events.ts';
import type { ModuleRegistry } from '../module.ts';
import { CommonModuleConfig, LogLevel } from './types.ts';

export const POLICY_VERSION = 1;

/** Builds the strict policy schema: the fixed top level plus one slice per registered module. */
export function policySchema(registry: ModuleRegistry) {
  const slices: Record<string, z.ZodType> = {};
  for (const [id, module] of registry) {
    slices[id] = z
      .strictObject({ ...CommonModuleConfig, ...module.config.shape })
      .prefault({})
      .describe(module.summary);
  }
  return z
    .strictObject({
      version: z.literal(POLICY_VERSION).describe('Policy format version; always 1.'),
      dry_run: z
        .boolean()
        .default(true)
        .describe('Simulate every side effect. The CLI flag --dry-run always forces it on.'),
      audit: z
        .strictObject({
          dir: z.string().min(1).default('.artifacts').describe('Where the audit artifact of every run is written.'),
        })
        .prefault({}),
      log: z.strictObject({ level: LogLevel.default('info') }).prefault({}),
      workflows: z
        .record(z.string(), z.array(z.string()).max(32))
        .default({})
        .describe('Event name -> ordered list of module ids to run for it.'),
      modules: z.strictObject(slices).prefault({}),
    })
    .describe('DriftGuard policy');
}

export interface Policy {
  version: 1;
  dry_run: boolean;
  audit: { dir: string };
  log: { level: LogLevel };
  workflows: Record<string, string[]>;
  modules: Record<string, Record<string, unknown> & { on_fail: 'block' | 'warn'; timeout: string }>;
}

export function policyJsonSchema(registry: ModuleRegistry): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema(registry), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // The loader checks workflow names semantically (with suggestions); editors get the same names as enums.
  const workflows = (schema.properties as Record<string, Record<string, unknown>>).workflows!;
  workflows.propertyNames = { enum: [...EVENT_NAMES] };
  workflows.additionalProperties = { type: 'array', maxItems: 32, items: { enum: [...registry.keys()] } };
  return { ...schema, title: 'DriftGuard policy' };
}
