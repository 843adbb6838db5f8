import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);
import{a,b}from"./chunk-UFS6E6BY.js";import"./chunk-YG2NS7FC.js";export{a as closest,b as didYouMean};
