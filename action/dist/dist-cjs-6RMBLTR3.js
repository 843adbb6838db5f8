import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);
import{a}from"./chunk-SYWRPDBK.js";import"./chunk-HY4NF4GP.js";import"./chunk-HKJVASJC.js";import"./chunk-YG2NS7FC.js";export default a();
