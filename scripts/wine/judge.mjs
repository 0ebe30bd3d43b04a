// The Wine suites' way of judging one check: `judge(name, fn)` runs fn and reports through the suite's `check`
// callback, a pass with fn's string (if any) as its detail, or a fail with the thrown error's message, so one failed
// expectation fails that check and the suite goes on to the next. `assert` throws the sentence that becomes the detail.

/** @param {(ok: boolean, name: string, detail: string) => void} check */
export function makeJudge(check) {
  return (name, fn) => {
    try {
      const detail = fn();
      check(true, name, typeof detail === 'string' ? detail : '');
    } catch (err) {
      check(false, name, err instanceof Error ? err.message : String(err));
    }
  };
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}
