// Loads DriftGuard's CommonJS bundle (dist/cli.cjs) with V8's code cache: the bytecode V8 compiled
// for the bundle in an earlier run of the same command is read back instead of parsing and
// compiling the bundle again, about a fifth of a pull request check's wall time. Node 22.1 and
// later keep such a cache for their own loaders (module.enableCompileCache); this does the same for
// the one file that matters, on every supported Node version.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import vm from 'node:vm';

/** The commands of cli/main.ts, each of which keeps a cache of its own (a test keeps the two lists equal). */
export const COMMAND_PROFILES = ['run', 'publish', 'janitor', 'validate', 'schema', 'graph', 'lifecycle', 'drift', 'standards', 'init', 'report', 'demo'];

/** Largest cache file read back, in bytes; a bigger file is not DriftGuard's and is ignored. */
const MAX_CACHE_BYTES = 64 << 20;
/** Cache files kept per profile: two installed versions, or two Node versions, do not evict each other. */
const KEEP_PER_PROFILE = 4;
/** A temporary file this old is left over from a run that was killed while writing. */
const STALE_TEMP_MS = 10 * 60_000;
const DIGEST_BYTES = 32;

/**
 * Where the code cache lives, or undefined when caching is off: `root`, a folder that must already
 * exist, and `create`, the folders made below it one at a time (never the home folder itself, nor
 * anything above a cache base the variables name).
 * Node's own variables decide, as for Node's compile cache: NODE_DISABLE_COMPILE_CACHE set (to
 * anything but "" or "0") turns it off; NODE_COMPILE_CACHE=DIR puts it in DIR/driftguard.
 * Otherwise `$XDG_CACHE_HOME/driftguard/v8` (an absolute XDG_CACHE_HOME only), else
 * `~/.cache/driftguard/v8`.
 * @param {Record<string, string | undefined>} env
 * @returns {{ root: string, create: string[] } | undefined}
 */
export function codeCacheLocation(env) {
  const off = env.NODE_DISABLE_COMPILE_CACHE;
  if (off !== undefined && off !== '' && off !== '0') return undefined;
  if (env.NODE_COMPILE_CACHE) return { root: dirname(env.NODE_COMPILE_CACHE), create: [basename(env.NODE_COMPILE_CACHE), 'driftguard'] };
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return { root: dirname(xdg), create: [basename(xdg), 'driftguard', 'v8'] };
  return { root: homedir(), create: ['.cache', 'driftguard', 'v8'] };
}

/**
 * The cache folder, made when missing, or undefined when it cannot be trusted. Cached bytecode runs
 * as DriftGuard's own code, so every folder made or passed below the root must be a real folder
 * (not a link) of this user that no one else can write to (the cache base, such as ~/.cache, may be
 * writable by the user's group); new ones get mode 0700. Any failure answers undefined, and the
 * run goes without a cache.
 * @param {{ root: string, create: string[] }} location
 * @returns {string | undefined}
 */
export function trustedDir({ root, create }) {
  try {
    if (!statSync(root).isDirectory()) return undefined;
    let dir = root;
    for (const [i, name] of create.entries()) {
      dir = join(dir, name);
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (err) {
        if (err.code !== 'EEXIST') return undefined;
      }
      const stat = lstatSync(dir);
      if (!stat.isDirectory()) return undefined;
      // The cache base (~/.cache) may be group-writable, as with a user's own group under umask 002:
      // the folders below it are DriftGuard's, and those only this user may write to.
      const othersMayWrite = i === 0 ? 0o002 : 0o022;
      if (process.platform !== 'win32' && (stat.uid !== process.getuid?.() || (stat.mode & othersMayWrite) !== 0)) return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * A cache file's V8 data, or undefined when there is none that can be used safely: the file must
 * be this user's, and its data must match the SHA-256 written before it (V8 does not check its
 * data, and runs damaged bytecode).
 */
function readCache(file) {
  let fd;
  try {
    fd = openSync(file, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size <= DIGEST_BYTES || stat.size > MAX_CACHE_BYTES) return undefined;
    if (process.platform !== 'win32' && stat.uid !== process.getuid?.()) return undefined;
    const bytes = readFileSync(fd);
    const data = bytes.subarray(DIGEST_BYTES);
    return createHash('sha256').update(data).digest().equals(bytes.subarray(0, DIGEST_BYTES)) ? data : 'damaged';
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a cache file whole or not at all (a temporary file, flushed to disk, renamed over it),
 * then keeps the profile's newest files only and drops temporary files left by killed runs.
 */
function writeCache(dir, name, profile, data) {
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  let fd;
  try {
    fd = openSync(temp, 'wx', 0o600);
    writeSync(fd, createHash('sha256').update(data).digest());
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, join(dir, name));
    const mine = new RegExp(`^${profile}-[0-9a-f]{32}\\.v8$`);
    const now = Date.now();
    const files = [];
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (mine.test(entry) && entry !== name) files.push({ path, mtime: lstatSync(path).mtimeMs });
      else if (entry.startsWith('.') && entry.endsWith('.tmp') && now - lstatSync(path).mtimeMs > STALE_TEMP_MS) rmSync(path, { force: true });
    }
    files.sort((a, b) => b.mtime - a.mtime);
    for (const old of files.slice(KEEP_PER_PROFILE - 1)) rmSync(old.path, { force: true });
  } catch {
    if (fd !== undefined) closeSync(fd);
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
 * checks only the source's length). It is written when the process exits, by a run that had no
 * usable cache and ended with exit code 0 or 1 (a run refused for bad usage or a bad policy has
 * compiled little of what the command runs): that run's compiled functions, including those
 * compiled on the way. A cache that V8 rejects (other V8 flags) or that does not match its
 * checksum is written anew. Nothing is written on a GitHub-hosted runner
 * (RUNNER_ENVIRONMENT=github-hosted), whose machine lives for one job.
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
    const location = codeCacheLocation(env);
    if (location) dir = trustedDir(location);
  } catch {
    // no home folder to be found: no cache
  }
  const key = createHash('sha256').update(`driftguard code cache\0${process.version}\0${process.arch}\0${profile}\0`).update(bytes).digest('hex').slice(0, 32);
  const name = `${profile}-${key}.v8`;
  const found = dir === undefined ? undefined : readCache(join(dir, name));
  const cachedData = Buffer.isBuffer(found) ? found : undefined;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const cache = dir === undefined ? 'off' : found === 'damaged' || script.cachedDataRejected ? 'rejected' : cachedData === undefined ? 'miss' : 'hit';
  // A GitHub-hosted runner is a new machine for every job: a cache written there is never read.
  if ((cache === 'miss' || cache === 'rejected') && env.RUNNER_ENVIRONMENT !== 'github-hosted') {
    process.once('exit', (code) => {
      if (code !== 0 && code !== 1) return;
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
