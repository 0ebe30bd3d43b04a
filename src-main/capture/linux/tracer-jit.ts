/*
 * The tracer process's JIT. A watch is busiest in its first second: the first children of a deployment come right
 * after "armed", and each one waits at its birth and exec stops for this process to resume it. In that second V8
 * marks a hundred of the engine's functions "hot and stable" for its mid tier, Maglev (--trace-opt: 102 of 104 marks
 * on a 300-child run), and compiles them on a background thread that takes a core from the processes traced, with a
 * finalisation step on this thread while a tracee may be waiting. Without Maglev, the functions stay in the baseline
 * tier until TurboFan takes the few that are truly hot (the core writer's loops), so dumps cost the same.
 * Measured with bench:capture's spawn loop (300 children of 1 ms, alternating, 2 cores): medians 403 ms with Maglev,
 * 390 ms without, 343 ms untraced; a full dump of 1 GiB through `procscope dump` 0.36-0.41 s either way (turning
 * TurboFan off too gained a little more on the loop but made that dump 30 % slower, so it stays on).
 * Only for a process whose work is the tracer (the CLI's watch, the helper's watch job, a test's child); flags are
 * process-wide, so never from Electron main or the browser host, where no watch runs anyway.
 */
import { setFlagsFromString } from 'node:v8';

let tuned = false;

/** Turns Maglev off for the rest of this process's life; later calls do nothing. */
export function tuneTracerJit(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString('--no-maglev');
}
