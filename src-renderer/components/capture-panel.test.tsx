import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { CaptureWatchView } from '../../src-shared/ipc/capture-contract';
import type { CaptureEvent, CaptureRule } from '../../src-shared/model/capture';
import { applyCaptureEvent, newCaptureWatchView } from '../../src-shared/model/capture-watch';
import { ApiContext } from '../api/api-context';
import type { ProcscopeApi } from '../api/procscope-api';
import { CaptureWatchItem } from './capture-panel';

const rule: CaptureRule = {
  target: { pid: 10, startTimeMs: 1 }, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'],
  exitNonZeroOnly: false, kind: 'mini', outDir: '/d', holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
};
const base = (id: string) => newCaptureWatchView({ id, target: { pid: 10, startTimeMs: 1, name: 'Tentacle' }, rule, elevated: false, createdAtMs: 1 });

// The server renderer reads a zustand store's initial state, so the test renders one watch item from its props.
function render(watch: CaptureWatchView): string {
  return renderToStaticMarkup(
    <ApiContext.Provider value={{} as ProcscopeApi}>
      <CaptureWatchItem watch={watch} />
    </ApiContext.Provider>,
  );
}

describe('Capture panel', () => {
  it('lists an armed watch with its mechanism, limits and Stop, and a child that exited with its code', () => {
    const armed: CaptureEvent[] = [
      { event: 'armed', atMs: 2, pid: 10, mechanism: 'ptrace-follow-fork', limits: ['setuid children are not held'] },
      { event: 'seen', atMs: 3, pid: 11, ppid: 10, name: 'Calamari', cmdline: 'Calamari deploy', startTimeMs: 3 },
      { event: 'dump', atMs: 4, pid: 11, name: 'Calamari', trigger: 'exit', path: '/d/x.core', fileBytes: 1, sha256: 'a', targetPauseMs: 1 , unreadableBytes: 0},
      { event: 'exited', atMs: 5, pid: 11, name: 'Calamari', exitCode: 3, signal: null, lifetimeMs: 2 },
    ];
    const html = render(armed.reduce(applyCaptureEvent, base('w1')));
    expect(html).toContain('aria-label="Capture of the children of Tentacle, PID 10: armed"');
    expect(html).toContain('Mechanism: ptrace-follow-fork');
    expect(html).toContain('<li>setuid children are not held</li>');
    expect(html).toContain('1 seen, 1 dump');
    expect(html).toContain('aria-label="Calamari, PID 11: exit code 3"');
    expect(html).toMatch(/<td>at exit<\/td>/);
    expect(html).toContain('>Stop</button>');
    expect(html).not.toContain('Retry as administrator');
  });

  it('shows a held child as held for its dump until its deadline instead of running, and as exited once it ended', () => {
    const deadline = new Date(2026, 0, 2, 9, 8, 7).getTime(); // local time, as the panel prints it
    const events: CaptureEvent[] = [
      { event: 'armed', atMs: 2, pid: 10, mechanism: 'ptrace-follow-fork', limits: [] },
      { event: 'seen', atMs: 3, pid: 11, ppid: 10, name: 'Calamari', cmdline: 'Calamari deploy', startTimeMs: 3 },
      { event: 'seen', atMs: 3, pid: 12, ppid: 10, name: 'powershell', cmdline: 'powershell', startTimeMs: 3 },
      { event: 'held', atMs: 4, pid: 11, name: 'Calamari', trigger: 'exit', deadlineMs: deadline },
    ];
    const held = events.reduce(applyCaptureEvent, base('w3'));
    const html = render(held);
    expect(html).toContain('aria-label="Calamari, PID 11: held for its exit dump (until 09:08:07)"');
    expect(html).toContain('<td>held for its exit dump (until 09:08:07)</td>');
    expect(html).toContain('aria-label="powershell, PID 12: running"');
    const ended = render(applyCaptureEvent(held, { event: 'exited', atMs: 6, pid: 11, name: 'Calamari', exitCode: 3, signal: null, lifetimeMs: 3 }));
    expect(ended).toContain('aria-label="Calamari, PID 11: exit code 3"');
    expect(ended).not.toContain('held for');
  });

  it('offers Retry as administrator and Dismiss, not Stop, for a watch that failed for lack of rights', () => {
    const failed: CaptureWatchView = {
      ...base('w2'), state: 'done', doneReason: 'error', retryable: true,
      failure: { code: 'needs-elevation', message: 'Watching PID 10 needs administrator rights.' },
    };
    const html = render(failed);
    expect(html).toContain(': failed"');
    expect(html).toContain('Failed: Watching PID 10 needs administrator rights.');
    expect(html).toContain('>Retry as administrator</button>');
    expect(html).toContain('>Dismiss</button>');
    expect(html).not.toContain('>Stop</button>');
  });
});
