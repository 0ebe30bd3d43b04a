/*
 * The two patterns a capture rule may carry — the image-name glob and the command-line regular expression — compiled
 * so that matching costs time linear in the name or command line, whatever the pattern. They are evaluated by the
 * tracer itself, which may be the root helper holding a stopped process: a backtracking pattern such as `(a+)+$`, or
 * a glob such as `*a*a*a…b`, against a long command line would stall the tracer for minutes (V8's backtracking engine
 * is exponential on the first and polynomial of the star count on the second) while every held process waits. So:
 * - globs are matched by a wildcard matcher of our own (two cursors and the last star: O(name × glob) at worst, no
 *   recursion), case-insensitively as before;
 * - regular expressions are compiled by V8's linear-time engine (the `l` flag, behind
 *   --enable-experimental-regexp-engine, set once at run time: a process-wide V8 flag that only makes the flag
 *   available). It refuses what it cannot run in linear time (backreferences, lookaround, the i and u flags), and
 *   such a pattern is refused with a sentence instead of run with backtracking.
 */
import { setFlagsFromString } from 'node:v8';

export interface TextMatcher {
  test(text: string): boolean;
}

/** Lowercase by code point, so the glob's `?` stays one character of the name. */
function codePoints(s: string): string[] {
  return [...s.toLowerCase()];
}

/**
 * `*` any run (also empty), `?` one character, everything else literal; the whole name must match; case-insensitive.
 */
export function compileNameGlob(glob: string): TextMatcher {
  const pattern = codePoints(glob);
  return {
    test(text: string): boolean {
      const name = codePoints(text);
      let p = 0;
      let n = 0;
      // Where the last star was, and the name position it is currently taken to cover up to.
      let star = -1;
      let starName = 0;
      while (n < name.length) {
        const c = pattern[p];
        if (c === '*') {
          star = p++;
          starName = n;
        } else if (c !== undefined && (c === '?' || c === name[n])) {
          p++;
          n++;
        } else if (star !== -1) {
          // Let the last star swallow one more character and retry what follows it.
          p = star + 1;
          n = ++starName;
        } else {
          return false;
        }
      }
      while (pattern[p] === '*') p++;
      return p === pattern.length;
    },
  };
}

let linearEngineEnabled = false;

/** A regular expression that V8 runs in linear time, or the end of a sentence ("… is not a regular expression") saying why not. */
export function compileLinearRegex(source: string): TextMatcher | string {
  if (!linearEngineEnabled) {
    setFlagsFromString('--enable-experimental-regexp-engine');
    linearEngineEnabled = true;
  }
  try {
    // eslint-disable-next-line no-invalid-regexp -- 'l' is V8's linear-time engine, enabled just above
    return new RegExp(source, 'l');
  } catch (err) {
    const message = (err as Error).message;
    if (/linear time/i.test(message)) {
      return 'cannot be matched in linear time (a backreference, a lookahead, an inline flag, or a repetition too large): it is refused so that no pattern can stall the watcher while it holds processes';
    }
    return `is not a regular expression (${message})`;
  }
}
