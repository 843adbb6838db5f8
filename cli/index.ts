import { stopParserThread } from '../modules/doc-sync/js-pool.ts';
import { runCommandLine } from './main.ts';

runCommandLine(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  stopParserThread();
});
