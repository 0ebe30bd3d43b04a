// The browser host's token check on its own: only the whole token, byte for byte, opens the page and the socket.
// web-host.test.ts drives the same check through HTTP; here every near miss an attacker would try is refused.
import { describe, expect, it } from 'vitest';
import { createToken, tokenMatches } from './web-security';

describe('tokenMatches', () => {
  const token = createToken();

  it('accepts the token itself', () => {
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, `${token}`.slice(0))).toBe(true);
  });

  it('refuses every prefix of the token, down to the empty string', () => {
    for (let n = 0; n < token.length; n++) expect(tokenMatches(token, token.slice(0, n)), `prefix of ${n} characters`).toBe(false);
  });

  it('refuses the token with anything added, a suffix of it, or one character changed', () => {
    expect(tokenMatches(token, `${token}0`)).toBe(false);
    expect(tokenMatches(token, `${token}\0`)).toBe(false);
    expect(tokenMatches(token, token.slice(1))).toBe(false);
    expect(tokenMatches(token, token.toUpperCase())).toBe(false);
    for (const at of [0, token.length >> 1, token.length - 1]) {
      const other = token[at] === '0' ? '1' : '0';
      expect(tokenMatches(token, token.slice(0, at) + other + token.slice(at + 1))).toBe(false);
    }
  });

  it('refuses what is not a string', () => {
    for (const given of [null, undefined, 0, {}, [token]]) expect(tokenMatches(token, given as string)).toBe(false);
  });
});
