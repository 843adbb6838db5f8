import type { DriftModule, ModuleRegistry } from '../src/module.ts';

/** Every module DriftGuard ships, by policy id. Adding a module is one folder and one line here. */
const modules: readonly DriftModule<any>[] = [];

export const REGISTRY: ModuleRegistry = new Map(modules.map((m) => [m.id, m]));
