/**
 * Reads which process an ELF core says it is, for the capture tests that check a dump belongs to the pid it was
 * reported for: the pr_pid of the core's first NT_PRSTATUS note, after checking the file is an x86-64 ELF core.
 * It walks the program headers and notes itself rather than asking gdb, so a wrong pid fails the assertion with the
 * pid the core actually holds.
 */
import { readFileSync } from 'node:fs';

/** pr_pid of the first NT_PRSTATUS note (elf_prstatus: pr_pid at 32, linux/elfcore.h); `core` is a path or its bytes. */
export function corePid(core: string | Buffer): number {
  const what = typeof core === 'string' ? core : 'the core';
  const b = typeof core === 'string' ? readFileSync(core) : core;
  // "\x7fELF" and e_type ET_CORE (4).
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b.readUInt16LE(16) !== 4) throw new Error(`${what} is not an ELF core`);
  const [phoff, phnum] = [Number(b.readBigUInt64LE(32)), b.readUInt16LE(56)];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * 56;
    if (b.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    let at = Number(b.readBigUInt64LE(ph + 8));
    const end = at + Number(b.readBigUInt64LE(ph + 32));
    while (at < end) {
      const [nameBytes, descBytes, type] = [b.readUInt32LE(at), b.readUInt32LE(at + 4), b.readUInt32LE(at + 8)];
      const desc = at + 12 + Math.ceil(nameBytes / 4) * 4;
      if (type === 1) return b.readInt32LE(desc + 32);
      at = desc + Math.ceil(descBytes / 4) * 4;
    }
  }
  throw new Error(`${what} has no NT_PRSTATUS note`);
}
