import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);
import{a,b}from"./chunk-WB3SEWHK.js";import"./chunk-PV7WERUU.js";import"./chunk-YG2NS7FC.js";export{b as ArtifactTooLarge,a as createActionsApi};
