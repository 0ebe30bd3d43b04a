/*
 * The byte layouts the handle-relative file calls need (x64), encoded and decoded here without koffi so they are
 * tested on any OS: UNICODE_STRING and OBJECT_ATTRIBUTES for NtCreateFile, BY_HANDLE_FILE_INFORMATION, and the NT
 * path of a drive root. Addresses come in as bigints from the caller (koffi.address); nothing here touches memory.
 */

/** UNICODE_STRING (ntdef.h): Length u16 @0 (bytes, no NUL), MaximumLength u16 @2, 4 bytes padding, Buffer @8. */
export const UNICODE_STRING_BYTES = 16;
/**
 * OBJECT_ATTRIBUTES (ntdef.h, the layout InitializeObjectAttributes fills): Length u32 @0, RootDirectory @8,
 * ObjectName @16 (PUNICODE_STRING), Attributes u32 @24, SecurityDescriptor @32, SecurityQualityOfService @40.
 */
export const OBJECT_ATTRIBUTES_BYTES = 48;
/** IO_STATUS_BLOCK (wdm.h): Status / Pointer @0, Information (ULONG_PTR) @8. */
export const IO_STATUS_BLOCK_BYTES = 16;
/**
 * BY_HANDLE_FILE_INFORMATION (fileapi.h): dwFileAttributes @0, three FILETIMEs @4/@12/@20,
 * dwVolumeSerialNumber @28, nFileSizeHigh @32, nFileSizeLow @36, nNumberOfLinks @40, nFileIndexHigh @44,
 * nFileIndexLow @48; 52 bytes.
 */
export const BY_HANDLE_FILE_INFORMATION_BYTES = 52;

/** OBJ_CASE_INSENSITIVE (ntdef.h): Win32 name semantics, as CreateFileW uses. */
export const OBJ_CASE_INSENSITIVE = 0x40;

export function encodeUnicodeString(byteLength: number, bufferAddress: bigint): Buffer {
  if (!Number.isInteger(byteLength) || byteLength < 0 || byteLength > 0xfffe || byteLength % 2 !== 0) {
    throw new RangeError(`A UNICODE_STRING holds an even number of bytes up to 65534, not ${byteLength}.`);
  }
  const b = Buffer.alloc(UNICODE_STRING_BYTES);
  b.writeUInt16LE(byteLength, 0);
  b.writeUInt16LE(byteLength, 2);
  b.writeBigUInt64LE(bufferAddress, 8);
  return b;
}

export interface ObjectAttributesFields {
  /** The folder handle a relative name is opened in (0n: the name is a full NT path). */
  rootDirectory: bigint;
  /** Address of the UNICODE_STRING with the name. */
  objectName: bigint;
  attributes: number;
  /** Address of the SECURITY_DESCRIPTOR a created file gets, or 0n. */
  securityDescriptor: bigint;
}

export function encodeObjectAttributes(fields: ObjectAttributesFields): Buffer {
  const b = Buffer.alloc(OBJECT_ATTRIBUTES_BYTES);
  b.writeUInt32LE(OBJECT_ATTRIBUTES_BYTES, 0);
  b.writeBigUInt64LE(fields.rootDirectory, 8);
  b.writeBigUInt64LE(fields.objectName, 16);
  b.writeUInt32LE(fields.attributes >>> 0, 24);
  b.writeBigUInt64LE(fields.securityDescriptor, 32);
  b.writeBigUInt64LE(0n, 40);
  return b;
}

export interface HandleFileInformation {
  /** FILE_ATTRIBUTE_* bits (winnt.h): DIRECTORY 0x10, REPARSE_POINT 0x400. */
  attributes: number;
  volumeSerial: number;
  /** nFileIndexHigh:nFileIndexLow, unique on its volume while the file is open. */
  fileIndex: bigint;
  linkCount: number;
}

export function decodeHandleFileInformation(b: Buffer): HandleFileInformation {
  if (b.length < BY_HANDLE_FILE_INFORMATION_BYTES) throw new RangeError('BY_HANDLE_FILE_INFORMATION is 52 bytes.');
  return {
    attributes: b.readUInt32LE(0),
    volumeSerial: b.readUInt32LE(28),
    fileIndex: (BigInt(b.readUInt32LE(44)) << 32n) | BigInt(b.readUInt32LE(48)),
    linkCount: b.readUInt32LE(40),
  };
}

export const FILE_ATTRIBUTE_DIRECTORY = 0x10;
export const FILE_ATTRIBUTE_REPARSE_POINT = 0x400;

/** `C:\` → `\??\C:\`, the NT name NtCreateFile opens a drive root by; null for anything but a drive root. */
export function ntPathOfDriveRoot(root: string): string | null {
  return /^[A-Za-z]:\\$/.test(root) ? `\\??\\${root.toUpperCase()}` : null;
}

/**
 * Whether `name` is exactly one entry of a folder: not empty, no separator, no `:` (a stream such as
 * `dir:$I30:$INDEX_ALLOCATION` or `file::$DATA`), not `.` or `..`, no wildcard or control character. A
 * handle-relative open of anything else would resolve more than the one entry the walk checked.
 */
export function isSingleEntryName(name: string): boolean {
  if (!name || name === '.' || name === '..' || name.length > 255) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\\/:*?"<>|\u0000-\u001f]/.test(name);
}
