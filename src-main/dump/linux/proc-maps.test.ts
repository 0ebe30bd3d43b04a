import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeDev, parseMapLine, parseMaps } from './proc-maps';

describe('/proc/PID/maps lines', () => {
  it('reads the device as stat encodes it, so the analysis pack can tell a file on another file system', () => {
    const m = parseMapLine('7f0a1c000000-7f0a1c028000 r--p 00000000 fe:00 5357737                    /usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(m).toMatchObject({ fileOffset: 0, dev: 0xfe00, inode: 5357737, path: '/usr/lib/x86_64-linux-gnu/libc.so.6' });
    // glibc's makedev splits minor above 8 bits and major above 12 bits into the high bits.
    expect(makeDev(0x103, 0x1a2)).toBe(0x1103a2);
    expect(makeDev(0x1234, 5)).toBe(0x1000 * 2 ** 32 + 0x23405);
  });

  it("agrees with stat() for every file this process has mapped", () => {
    const files = parseMaps(readFileSync('/proc/self/maps', 'utf8')).filter((m) => m.path.startsWith('/') && m.inode > 0 && !m.path.endsWith(' (deleted)'));
    expect(files.length).toBeGreaterThan(0);
    let compared = 0;
    for (const m of files) {
      const st = statSync(m.path);
      if (st.ino !== m.inode) continue; // replaced since it was mapped
      expect({ path: m.path, dev: m.dev }).toEqual({ path: m.path, dev: st.dev });
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });
});
