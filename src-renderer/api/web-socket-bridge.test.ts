import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState } from './connection';
import { createWebSocketBridge } from './web-socket-bridge';

/** A WebSocket stand-in the test opens, answers and closes by hand. */
class FakeSocket extends EventTarget {
  readyState = 0;
  sent: string[] = [];
  constructor(readonly url: string) {
    super();
  }
  send(data: string) {
    this.sent.push(data);
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  drop(reason = '') {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { reason, code: 1006 }));
  }
  answer(result: unknown) {
    const { id } = JSON.parse(this.sent.at(-1)!) as { id: number };
    this.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify({ type: 'response', id, result: { ok: true, value: result } }) }));
  }
}

const location = { search: '?token=abc', protocol: 'http:', host: '127.0.0.1:5000' } as Location;

describe('WebSocket bridge', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('fails requests at once while down, retries with a growing delay to the same URL, and says when it is back', async () => {
    const sockets: FakeSocket[] = [];
    const bridge = createWebSocketBridge(location, {
      delaysMs: [1000, 2000, 4000],
      createSocket: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s as unknown as WebSocket;
      },
    });
    const states: ConnectionState[] = [];
    const closes: string[] = [];
    bridge.onConnectionChange((s) => states.push(s));
    bridge.onClose((r) => closes.push(r));

    const first = bridge.invoke('procscope:get-poller-state', {});
    sockets[0]!.open();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]!.answer({ intervalMs: 1000 });
    expect(await first).toEqual({ ok: true, value: { intervalMs: 1000 } });

    const inFlight = bridge.invoke('procscope:get-poller-state', {});
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]!.drop('serve stopped');
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'not-ready', message: 'serve stopped' } });
    expect(states).toEqual([{ connected: false, reason: 'serve stopped', retryAtMs: 1_001_000 }]);
    expect(closes).toEqual(['serve stopped']);
    // Down: a request fails at once rather than hanging.
    expect(await bridge.invoke('procscope:get-poller-state', {})).toMatchObject({ ok: false, error: { code: 'not-ready' } });

    // 1 s, then 2 s, then 4 s between tries, each to the same URL and token.
    await vi.advanceTimersByTimeAsync(999);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop();
    await vi.advanceTimersByTimeAsync(1999);
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(3);
    sockets[2]!.drop();
    await vi.advanceTimersByTimeAsync(4000);
    expect(sockets).toHaveLength(4);
    expect(new Set(sockets.map((s) => s.url))).toEqual(new Set(['ws://127.0.0.1:5000/ws?token=abc']));
    // A failed try is not a second "closed" for the page.
    expect(closes).toHaveLength(1);

    sockets[3]!.open();
    expect(states.at(-1)).toEqual({ connected: true });
    const again = bridge.invoke('procscope:get-poller-state', {});
    await vi.advanceTimersByTimeAsync(0);
    sockets[3]!.answer({ intervalMs: 2000 });
    expect(await again).toEqual({ ok: true, value: { intervalMs: 2000 } });
    // Back up, the delays start again from the first.
    sockets[3]!.drop();
    expect(states.at(-1)).toMatchObject({ connected: false, retryAtMs: Date.now() + 1000 });
  });
});
