import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);
import{a}from"./chunk-LEPZZCIZ.js";import"./chunk-YG2NS7FC.js";export{a as toMermaid};
