/*
 * MDMP layout constants (minidumpapiset.h on learn.microsoft.com): the header, the stream directory and the
 * stream types our reader understands. Pure data; the reader and its tests share it.
 */

export const MDMP_SIGNATURE = 0x504d444d; // 'MDMP' little-endian
export const MDMP_VERSION = 0xa793; // low 16 bits of Version
export const HEADER_BYTES = 32;
export const DIRECTORY_ENTRY_BYTES = 12;
export const THREAD_BYTES = 48;
export const MODULE_BYTES = 108;
export const MEMORY_DESCRIPTOR_BYTES = 16;
export const MEMORY64_DESCRIPTOR_BYTES = 16;

/** MINIDUMP_STREAM_TYPE. */
export const StreamType = {
  Unused: 0,
  ThreadList: 3,
  ModuleList: 4,
  MemoryList: 5,
  Exception: 6,
  SystemInfo: 7,
  ThreadExList: 8,
  Memory64List: 9,
  CommentA: 10,
  CommentW: 11,
  HandleData: 12,
  FunctionTable: 13,
  UnloadedModuleList: 14,
  MiscInfo: 15,
  MemoryInfoList: 16,
  ThreadInfoList: 17,
  HandleOperationList: 18,
  Token: 19,
  SystemMemoryInfo: 21,
  ProcessVmCounters: 22,
} as const;

const NAMES = new Map<number, string>(Object.entries(StreamType).map(([name, id]) => [id, name]));

/** A readable name for a stream type; vendor streams (Wine's, Breakpad's 0x4767xxxx) show as hex. */
export function streamTypeName(type: number): string {
  return NAMES.get(type) ?? `0x${type.toString(16)}`;
}
