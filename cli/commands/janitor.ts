import type { ParsedArgs } from '../args.ts';
import run from './run.ts';

/** `driftguard janitor` is `driftguard run --event schedule`. */
export default function janitor(args: ParsedArgs): Promise<number> {
  return run({ ...args, values: { ...args.values, event: 'schedule' } });
}
