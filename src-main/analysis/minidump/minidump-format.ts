/*
 * MDMP layout constants (minidumpapiset.h on learn.microsoft.com): the header, the stream directory, the stream
 * types our reader understands, the fixed sizes of their entries and the AMD64 CONTEXT offsets. Pure data; the
 * reader and its tests share it.
 */

export const MDMP_SIGNATURE = 0x504d444d; // 'MDMP' little-endian
export const MDMP_VERSION = 0xa793; // low 16 bits of Version
export const HEADER_BYTES = 32;
export const DIRECTORY_ENTRY_BYTES = 12;
export const THREAD_BYTES = 48;
export const MODULE_BYTES = 108;
export const MEMORY_DESCRIPTOR_BYTES = 16;
export const MEMORY64_DESCRIPTOR_BYTES = 16;
/** MINIDUMP_THREAD_INFO, MINIDUMP_UNLOADED_MODULE, MINIDUMP_MEMORY_INFO, MINIDUMP_THREAD_NAME (pack 4). */
export const THREAD_INFO_BYTES = 64;
export const UNLOADED_MODULE_BYTES = 24;
export const MEMORY_INFO_BYTES = 48;
export const THREAD_NAME_BYTES = 12;
/** MINIDUMP_HANDLE_DESCRIPTOR and MINIDUMP_HANDLE_DESCRIPTOR_2. */
export const HANDLE_DESCRIPTOR_BYTES = 32;
export const EXCEPTION_STREAM_BYTES = 168;
/** VS_FIXEDFILEINFO.dwSignature. */
export const VS_FFI_SIGNATURE = 0xfeef04bd;
/** 'RSDS': a CodeView PDB 7.0 record. */
export const CV_SIGNATURE_RSDS = 0x53445352;

export const PROCESSOR_ARCHITECTURE_INTEL = 0;
export const PROCESSOR_ARCHITECTURE_AMD64 = 9;
export const PROCESSOR_ARCHITECTURE_ARM64 = 12;

/** MINIDUMP_MISC_INFO.Flags1. */
export const MISC1_PROCESS_ID = 0x1;
export const MISC1_PROCESS_TIMES = 0x2;

/** The AMD64 CONTEXT (winnt.h): 1232 bytes; general registers from Rax at 0x78, in this order, then Rip at 0xf8. */
export const AMD64_CONTEXT_BYTES = 0x4d0;
export const AMD64_CONTEXT_FLAGS_OFFSET = 0x30;
export const AMD64_GPR_OFFSET = 0x78;
export const AMD64_GPR_ORDER = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'] as const;
export type Amd64Register = (typeof AMD64_GPR_ORDER)[number];

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
  ThreadNames: 24,
} as const;

const NAMES = new Map<number, string>(Object.entries(StreamType).map(([name, id]) => [id, name]));

/** A readable name for a stream type; vendor streams (Wine's, Breakpad's 0x4767xxxx) show as hex. */
export function streamTypeName(type: number): string {
  return NAMES.get(type) ?? `0x${type.toString(16)}`;
}

/** Windows FILETIME (100 ns since 1601) to epoch ms; null for 0. */
export function fileTimeToMs(ft: bigint): number | null {
  if (ft === 0n) return null;
  return Number(ft / 10_000n) - 11_644_473_600_000;
}
