import * as z from 'zod';
import { Duration } from '../../src/policy/types.ts';

/** Paths never read unless the policy says otherwise. */
export const DEFAULT_EXCLUDE = [
  // Build output (dist/, build/, out/) is read: a new read counts only when the base read the name
  // nowhere, so a rebuilt bundle re-emitting old reads adds nothing, and a package whose only code
  // is its bundle is still checked.
  '**/node_modules/**', '**/vendor/**', '**/third_party/**', '**/.next/**',
  '**/*.min.js', '**/*.map', '**/*.snap',
  '**/package-lock.json', '**/npm-shrinkwrap.json', '**/yarn.lock', '**/pnpm-lock.yaml', '**/bun.lockb', '**/*.lock', '**/go.sum',
  '**/generated/**', '**/*.generated.*', '**/*_generated.*', '**/*.pb.go', '**/*_pb2.py', '**/*.g.dart',
  '**/__fixtures__/**', '**/fixtures/**', '**/testdata/**', '**/__snapshots__/**', '**/__mocks__/**',
  '**/test/**', '**/tests/**', '**/__tests__/**', '**/spec/**', '**/*.test.*', '**/*.spec.*', '**/*_test.go', '**/test_*.py', '**/*_test.py',
];

export const CustomRule = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, { error: 'expected a lowercase id such as "cli-flag"' }),
  kind: z.string().min(1).default('public surface').describe('What the rule finds, e.g. "CLI flag", "config key", "HTTP route".'),
  pattern: z.string().min(1).describe('RE2 syntax (linear time). Capture group 1, or a group named "name", is the name to look up in the docs.'),
  paths: z.array(z.string().min(1)).min(1).describe('Globs of the files the rule reads.'),
});
export type CustomRule = z.infer<typeof CustomRule>;

export const AiConfig = z.strictObject({
  enabled: z.boolean().default(true),
  provider: z.literal('gemini').default('gemini'),
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).default('gemini-2.5-flash'),
  timeout: Duration.default('30s').describe('Budget for the whole AI call, retries included; then the regex result stands alone.'),
  max_input_tokens: z.number().int().min(1000).max(1_000_000).default(32_000),
  max_output_tokens: z.number().int().min(256).max(65_536).default(4096),
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('GEMINI_API_KEY'),
  blocking: z.boolean().default(true).describe('Whether findings only the AI made can fail the step (as error severity) or only warn.'),
});
export type AiConfig = z.infer<typeof AiConfig>;

export const DocSyncConfig = z.object({
  docs: z.array(z.string().min(1)).min(1).default(['README.md', 'docs/**/*.md']).describe('Globs of the documentation searched at the head of the change.'),
  include: z.array(z.string().min(1)).default(['**']),
  exclude: z.array(z.string().min(1)).default(DEFAULT_EXCLUDE),
  allow: z.array(z.string().min(1)).default([]).describe('Names treated as documented; "*" matches any run of characters, e.g. "NEXT_PUBLIC_*".'),
  builtin_detectors: z.boolean().default(true).describe('Run the built-in environment variable detectors.'),
  rules: z.array(CustomRule).max(100).default([]),
  max_findings: z.number().int().min(1).max(10_000).default(500),
  ai: AiConfig.prefault({}),
});
export type DocSyncConfig = z.infer<typeof DocSyncConfig>;
