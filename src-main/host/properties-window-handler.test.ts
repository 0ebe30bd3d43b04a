// procscope:open-properties-window: the Electron host's shell opens (or focuses) the process's window and says so in
// its capabilities; the browser host has none, answers 'unsupported' and its capabilities send the page to window.open.
import { describe, expect, it } from 'vitest';
import { createFakeBackend } from '../platform/fake/fake-backend';
import { createAppServices, type HostShell } from './app-services';
import { createRequestHandlers, dispatchRequest } from './request-handlers';
import { createTestPoller } from './test-poller';

const baseShell: HostShell = { chooseFolder: async () => null, showItemInFolder: () => {}, chooseDumpFile: async () => null, chooseSavePath: async () => null };

function setup(shell?: HostShell) {
  const backend = createFakeBackend({ processCount: 5 });
  const services = createAppServices({ backend, poller: createTestPoller(backend), version: '1', ...(shell ? { shell } : {}) });
  const context = { sender: { id: 's1', push: () => {} } };
  const call = (args: unknown) => dispatchRequest(createRequestHandlers(services), 'procscope:open-properties-window', args, context);
  return { services, call };
}

describe('procscope:open-properties-window', () => {
  it('asks the desktop shell to open the window of exactly that identity', async () => {
    const opened: unknown[] = [];
    const { services, call } = setup({ ...baseShell, openPropertiesWindow: (t) => void opened.push(t) });
    expect(services.appInfo.capabilities.propertiesWindow).toBe(true);
    expect(await call({ pid: 42, startTimeMs: 1234 })).toEqual({ ok: true, value: null });
    expect(opened).toEqual([{ pid: 42, startTimeMs: 1234 }]);
    const bad = await call({ pid: 42, startTimeMs: 1234, url: 'https://example.com' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(opened).toHaveLength(1);
  });

  it("answers 'unsupported' without a shell (or a shell without windows), and says so in the capabilities", async () => {
    for (const shell of [undefined, baseShell]) {
      const { services, call } = setup(shell);
      expect(services.appInfo.capabilities.propertiesWindow).toBe(false);
      expect(await call({ pid: 42, startTimeMs: 1234 })).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    }
  });
});
