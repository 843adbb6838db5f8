import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);
import{d as a}from"./chunk-J52NE4J2.js";import"./chunk-YG2NS7FC.js";export default a();
