/*
 * The stop rules of an x64 stack walk, shared by the Linux core unwinder (x86-64-unwinder.ts) and the Windows
 * minidump walker (pe/x64-pe-stack-walker.ts): once a step has proposed the caller's registers, the walk ends at a
 * return address below 4096 (the end of the stack), a stack pointer that did not grow (unless the caller's rip is
 * exact, as after a signal or a machine frame, whose saved rsp may lie anywhere), or a caller seen before (a cycle).
 */

/** The lowest return address a real caller has: below it lies the null page, the end of the stack. */
const MIN_PC = 4096n;

export interface ProposedCaller {
  pc: bigint;
  /** The caller's rsp; undefined when the step did not recover it. */
  sp: bigint | undefined;
  /** The caller's rip is the exact instruction (a signal or machine frame), not a return address. */
  exact: boolean;
}

/**
 * Why the walk stops before `next`, or null to go on; `sp` is the current frame's stack pointer, `seen` the
 * callers taken so far (`next` is added to it when the walk goes on).
 */
export function stopBeforeCaller(sp: bigint, next: ProposedCaller, seen: Set<string>): string | null {
  if (next.pc < MIN_PC) return `end of stack: the return address 0x${next.pc.toString(16)} is below 4096`;
  if (next.sp === undefined || (next.sp <= sp && !next.exact)) return 'the stack pointer did not grow: the stack may be truncated';
  const key = `${next.pc}:${next.sp}`;
  if (seen.has(key)) return 'a cycle: the same frame came back';
  seen.add(key);
  return null;
}
