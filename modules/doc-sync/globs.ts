import picomatch from 'picomatch';

/**
 * A matcher for the policy's path globs (picomatch, dotfiles included) that also matches paths
 * holding line breaks: picomatch's `*` and `**` stop at them, so a pull request could otherwise
 * hide a file from `include` by putting a newline in its name. Line breaks are matched as if they
 * were spaces.
 */
export function pathMatcher(globs: string | readonly string[]): (path: string) => boolean {
  const match = picomatch(globs as string[], { dot: true });
  return (path) => match(path.replace(/[\r\n\u2028\u2029]/g, ' '));
}
