import { describe, expect, it } from 'vitest';
import { createServeDumpEngineFactory, serveConfigDir } from './web-dump-config';

describe('procscope serve dump configuration', () => {
  it('puts the settings in PROCSCOPE_CONFIG_DIR, else the per-user config folder', () => {
    expect(serveConfigDir({ PROCSCOPE_CONFIG_DIR: '/tmp/cfg' }, 'linux', '/home/a')).toBe('/tmp/cfg');
    expect(serveConfigDir({}, 'linux', '/home/a')).toBe('/home/a/.config/procscope');
    expect(serveConfigDir({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/a')).toBe('/x/procscope');
    expect(() => serveConfigDir({ PROCSCOPE_CONFIG_DIR: 'relative' }, 'linux', '/home/a')).toThrow(/must be an absolute folder/);
  });

  it('refuses an unknown test elevator instead of silently prompting', async () => {
    const factory = createServeDumpEngineFactory({ env: { PROCSCOPE_TEST_ELEVATOR: 'yes-please', PROCSCOPE_CONFIG_DIR: '/tmp/x' }, cliScriptPath: '/nope/cli.js' });
    await expect(factory(async () => [])).rejects.toThrow(/PROCSCOPE_TEST_ELEVATOR may only be 'direct'/);
  });
});
