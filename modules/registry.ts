import type { DriftModule, ModuleRegistry } from '../src/module.ts';
import { crossRepo } from './cross-repo/index.ts';
import { docSync } from './doc-sync/index.ts';
import { drift } from './drift/index.ts';
import { janitor } from './janitor/index.ts';
import { override } from './override/index.ts';
import { remediation } from './remediation/index.ts';
import { standards } from './standards/index.ts';

/** Every module DriftGuard ships, by policy id. Adding a module is one folder and one line here. */
const modules: readonly DriftModule<any>[] = [docSync, crossRepo, override, janitor, drift, remediation, standards];

export const REGISTRY: ModuleRegistry = new Map(modules.map((m) => [m.id, m]));
