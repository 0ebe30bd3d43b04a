import { describe, expect, it } from 'vitest';
import { settleOnce } from './settle-once';

describe('settleOnce', () => {
  it('keeps the first resolve and ignores what comes after', async () => {
    const o = settleOnce<number, Error>();
    expect(o.settled).toBe(false);
    o.resolve(1);
    expect(o.settled).toBe(true);
    o.reject(new Error('late'));
    o.resolve(2);
    await expect(o.promise).resolves.toBe(1);
  });

  it('keeps the first reject and ignores what comes after', async () => {
    const { promise, resolve, reject } = settleOnce<number, Error>();
    reject(new Error('first'));
    reject(new Error('second'));
    resolve(3);
    await expect(promise).rejects.toThrow('first');
  });
});
