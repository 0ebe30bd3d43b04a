/*
 * Delta-to-screen timing for bench:ui, off unless the page was opened with window.__procscopeFrameTimings set to an
 * array (the bench's init script does that). For each delta it records when the DOM was committed (React renders
 * store updates in a microtask, so a microtask queued after the store call runs after it) and when the frame that
 * shows it was painted (the next animation frame, then a task, which runs after that frame's paint).
 */

export interface FrameTiming {
  seq: number;
  deltaToCommitMs: number;
  /** From the delta to the start (vsync time) of the frame that shows it: includes waiting for that vsync. */
  deltaToFrameStartMs: number;
  deltaToPaintMs: number;
}

const startedAt = new Map<number, number>();

function sink(): FrameTiming[] | null {
  const list = (window as unknown as { __procscopeFrameTimings?: FrameTiming[] }).__procscopeFrameTimings;
  return Array.isArray(list) ? list : null;
}

export function markDeltaReceived(seq: number): void {
  if (!sink()) return;
  performance.mark(`procscope:delta-${seq}`);
  startedAt.set(seq, performance.now());
}

export function markDeltaApplied(seq: number): void {
  const list = sink();
  const start = startedAt.get(seq);
  if (!list || start === undefined) return;
  startedAt.delete(seq);
  queueMicrotask(() => {
    const deltaToCommitMs = performance.now() - start;
    requestAnimationFrame((frameStartMs) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const measure = performance.measure(`procscope:delta-to-paint-${seq}`, `procscope:delta-${seq}`);
        list.push({ seq, deltaToCommitMs, deltaToFrameStartMs: frameStartMs - start, deltaToPaintMs: measure.duration });
      };
      channel.port2.postMessage(null);
    });
  });
}
