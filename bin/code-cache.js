// Loads DriftGuard's CommonJS bundle (dist/cli.cjs) with V8's code cache: the bytecode V8 compiled
// for the bundle in an earlier run of the same command is read back instead of parsing and
// compiling the bundle again, about a third of a pull request check's own start-up. Node 22.1 and
// later keep such a cache for their own loaders (module.enableCompileCache); this does the same for
// the one file that matters, on every supported Node version.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import vm from 'node:vm';

/** Largest cache file read back, in bytes; a bigger file is not DriftGuard's and is ignored. */
const MAX_CACHE_BYTES = 64 << 20;

/**
 * The folder of the code cache, or undefined when caching is off.
 * Node's own variables decide, as for Node's compile cache: NODE_DISABLE_COMPILE_CACHE set (to
 * anything but "" or "0") turns it off; NODE_COMPILE_CACHE=DIR puts it in DIR/driftguard.
 * Otherwise `$XDG_CACHE_HOME/driftguard/v8` (an absolute XDG_CACHE_HOME only), else
 * `~/.cache/driftguard/v8`.
 * @param {Record<string, string | undefined>} env
 * @returns {string | undefined}
 */
export function codeCacheDir(env) {
  const off = env.NODE_DISABLE_COMPILE_CACHE;
  if (off !== undefined && off !== '' && off !== '0') return undefined;
  if (env.NODE_COMPILE_CACHE) return join(env.NODE_COMPILE_CACHE, 'driftguard');
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'driftguard', 'v8');
}

/**
 * Whether a cache folder may be trusted: cached bytecode runs as DriftGuard's own code, so the
 * folder must be a real folder (not a link) that only this user can write to. Created with mode
 * 0700 when missing. Any failure answers false: the run then goes without a cache.
 * @param {string} dir
 * @returns {boolean}
 */
export function trustedDir(dir) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return false;
    if (process.platform === 'win32') return true;
    return stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** A cache file's contents, or undefined when there is none that can be read safely. */
function readCache(file) {
  let fd;
  try {
    fd = openSync(file, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size === 0 || stat.size > MAX_CACHE_BYTES) return undefined;
    if (process.platform !== 'win32' && stat.uid !== process.getuid?.()) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes a cache file whole or not at all (a temporary file renamed over it), and drops the profile's older files. */
function writeCache(dir, name, profile, data) {
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    renameSync(temp, join(dir, name));
    const mine = new RegExp(`^${profile}-[0-9a-f]{32}\\.v8$`);
    for (const other of readdirSync(dir)) {
      if (other !== name && mine.test(other)) rmSync(join(dir, other), { force: true });
    }
  } catch {
    rmSync(temp, { force: true });
  }
}

/**
 * Runs a CommonJS file the way `require` would, compiled with V8's code cache. The file must not
 * use `import()`: code read back from the cache cannot import (scripts/build.mjs turns the
 * bundle's imports into `require`, and checks that none is left).
 *
 * The cache file is named after the profile and a SHA-256 of the file's bytes, the Node version
 * and the architecture, so a rebuilt bundle or another Node never reads an old cache (V8 itself
 * checks only the source's length). It is written once, when the process exits, by the first run
 * that had no usable cache: that run's compiled functions, including those compiled on the way.
 * A cache that V8 rejects (other V8 flags) is written anew. Nothing is written on a GitHub-hosted
 * runner (RUNNER_ENVIRONMENT=github-hosted), whose machine lives for one job.
 *
 * @param {string} file absolute path of the CommonJS file
 * @param {{ profile: string, env?: Record<string, string | undefined> }} options
 *   profile: which command the cache serves (`[a-z0-9-]+`): each command keeps the code it uses
 * @returns {{ cache: 'hit' | 'miss' | 'rejected' | 'off', exports: unknown }}
 */
export function loadWithCodeCache(file, { profile, env = process.env }) {
  if (!/^[a-z0-9-]{1,40}$/.test(profile)) throw new Error(`bad code cache profile "${profile}"`);
  const bytes = readFileSync(file);
  // Most of the bundle is ASCII: read as Latin-1 it needs no UTF-8 decoding.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  let dir;
  try {
    dir = codeCacheDir(env);
  } catch {
    // no home folder to be found: no cache
  }
  const usable = dir !== undefined && trustedDir(dir);
  const key = createHash('sha256').update(`driftguard code cache\0${process.version}\0${process.arch}\0${profile}\0`).update(bytes).digest('hex').slice(0, 32);
  const name = `${profile}-${key}.v8`;
  const cachedData = usable ? readCache(join(dir, name)) : undefined;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  const cache = !usable ? 'off' : cachedData === undefined ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  // A GitHub-hosted runner is a new machine for every job: a cache written there is never read,
  // and writing it costs a tenth of the run.
  if ((cache === 'miss' || cache === 'rejected') && env.RUNNER_ENVIRONMENT !== 'github-hosted') {
    process.once('exit', () => {
      try {
        writeCache(dir, name, profile, script.createCachedData());
      } catch {
        // the next run compiles again
      }
    });
  }
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return { cache, exports: module.exports };
}
