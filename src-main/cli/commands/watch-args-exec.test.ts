// `procscope watch PID --children --exec BIN [--exec BIN…]`: fanotify exec mode's binaries on the command line.
import { describe, expect, it } from 'vitest';
import { runWatch, type WatchDeps } from './watch';
import { parseWatchArgs } from './watch-args';

const parse = (...args: string[]) => parseWatchArgs(args, '/home/ann', 4);
const refusal = (...args: string[]): string => {
  try {
    parse(...args);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('watch --exec', () => {
  it('collects each --exec into rule.execPaths, in order, and leaves it out without one', () => {
    const r = parse('4242', '--children', '--exec', '/usr/bin/pwsh', '--exec=/opt/octopus/Calamari', '--on', 'exit');
    expect(r.rule.execPaths).toEqual(['/usr/bin/pwsh', '/opt/octopus/Calamari']);
    expect(r.rule.scope).toBe('descendants');
    expect('execPaths' in parse('4242', '--children', '--on', 'exit').rule).toBe(false);
    expect(parse('--wait', 'Tentacle', '--children', '--exec', '/usr/bin/pwsh', '--on', 'exit').rule.execPaths).toEqual(['/usr/bin/pwsh']);
  });

  it('refuses a relative path, a repeat, more than 16, no --children, --launch, and a missing path', () => {
    expect(refusal('4242', '--children', '--exec', 'pwsh', '--on', 'exit')).toMatch(/--exec needs the absolute path of a binary \(got 'pwsh'\)/);
    expect(refusal('4242', '--children', '--exec', '/usr/bin/pwsh', '--exec', '/usr/bin/pwsh', '--on', 'exit')).toMatch(/names \/usr\/bin\/pwsh twice/);
    const many = Array.from({ length: 17 }, (_, i) => ['--exec', `/bin/x${i}`]).flat();
    expect(refusal('4242', '--children', ...many, '--on', 'exit')).toBe('--exec is given more than 16 times.');
    expect(refusal('4242', '--exec', '/usr/bin/pwsh', '--on', 'exit')).toMatch(/never the watched process itself: add --children/);
    expect(refusal('--children', '--exec', '/usr/bin/pwsh', '--on', 'exit', '--launch', '--', '/bin/sh')).toMatch(/already running/);
    expect(refusal('4242', '--children', '--on', 'exit', '--exec')).toBe('--exec needs the absolute path of a binary.');
    expect(refusal('4242', '--children', '--exec', '--on', 'exit')).toBe('--exec needs the absolute path of a binary.');
  });
});

describe('watch --exec on Windows', () => {
  it('is refused with a sentence (exit 2) before any engine or backend is made', async () => {
    const made: string[] = [];
    const deps = {
      platform: 'win32',
      cwd: () => 'C:\\dumps',
      launch: null,
      createEngine: async () => void made.push('engine'),
      createBackend: async () => void made.push('backend'),
    } as unknown as WatchDeps;
    let stderr = '';
    const code = await runWatch(['4242', '--children', '--exec', '/usr/bin/pwsh', '--on', 'exit'], { stdout: () => undefined, stderr: (t) => void (stderr += t) }, deps);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^procscope watch: --exec \(fanotify exec mode\) is Linux only: on Windows the watch already sees every descendant/);
    expect(made).toEqual([]);
  });
});
