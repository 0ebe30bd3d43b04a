/*
 * Delta-to-paint timing for bench:ui, off unless the page was opened with window.__procscopeFrameTimings set to an
 * array (the bench's init script does that). Marks the delta's arrival, then waits for the next animation frame
 * (React has committed by then) and a task after it, which runs once that frame is painted.
 */

interface FrameTiming {
  seq: number;
  deltaToPaintMs: number;
}

export function markDeltaReceived(seq: number): void {
  const sink = (window as unknown as { __procscopeFrameTimings?: FrameTiming[] }).__procscopeFrameTimings;
  if (!Array.isArray(sink)) return;
  const start = `procscope:delta-${seq}`;
  performance.mark(start);
  requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const measure = performance.measure(`procscope:delta-to-paint-${seq}`, start);
      sink.push({ seq, deltaToPaintMs: measure.duration });
    };
    channel.port2.postMessage(null);
  });
}
