import { ExitCode } from '../../src/errors.ts';
import { policyJsonSchema } from '../../src/policy/schema.ts';
import { REGISTRY } from '../../modules/registry.ts';

export default async function schema(): Promise<number> {
  process.stdout.write(`${JSON.stringify(policyJsonSchema(REGISTRY), null, 2)}\n`);
  return ExitCode.pass;
}
