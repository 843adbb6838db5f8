import { runCommandLine } from './main.ts';

runCommandLine(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
