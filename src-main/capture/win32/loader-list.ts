/*
 * Reading the loader's module list of a held process, with the memory reader passed in so that it is tested on Linux
 * against a fake address space. x64 layouts: PEB.Ldr @0x18, PEB_LDR_DATA.InLoadOrderModuleList @0x10, and each
 * LDR_DATA_TABLE_ENTRY begins with its InLoadOrderLinks, so a Flink is the next entry's address.
 */

/**
 * How many entries (at most `upTo`) the loader's InLoadOrderModuleList holds, following Flink from PEB_LDR_DATA @0x10
 * (x64). 0 when `ldr` is 0, the list is empty (Flink points back at its head) or a link cannot be read.
 */
export function countListedModules(read: (address: bigint, bytes: number) => Buffer | null, ldr: bigint, upTo: number): number {
  if (ldr === 0n) return 0;
  const head = ldr + 0x10n;
  let link = read(head, 8)?.readBigUInt64LE(0) ?? head;
  let n = 0;
  while (n < upTo && link !== head && link !== 0n) {
    n++;
    const next = read(link, 8);
    if (!next) break;
    link = next.readBigUInt64LE(0);
  }
  return n;
}
