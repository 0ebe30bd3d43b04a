// The byte layouts NtCreateFile and GetFileInformationByHandle are called with, checked field by field on any OS
// against the offsets in ntdef.h / fileapi.h (x64), and the name rules that keep a handle-relative open to one entry.
import { describe, expect, it } from 'vitest';
import {
  BY_HANDLE_FILE_INFORMATION_BYTES, decodeHandleFileInformation, encodeObjectAttributes, encodeUnicodeString, isSingleEntryName,
  ntPathOfDriveRoot, OBJECT_ATTRIBUTES_BYTES, UNICODE_STRING_BYTES,
} from './nt-structs';

describe('UNICODE_STRING', () => {
  it('is Length and MaximumLength in bytes, then the buffer pointer at 8', () => {
    const b = encodeUnicodeString(10, 0x1122334455667788n);
    expect(b.length).toBe(UNICODE_STRING_BYTES);
    expect(b.readUInt16LE(0)).toBe(10);
    expect(b.readUInt16LE(2)).toBe(10);
    expect(b.readUInt32LE(4)).toBe(0);
    expect(b.readBigUInt64LE(8)).toBe(0x1122334455667788n);
  });
  it('refuses a length it cannot hold', () => {
    expect(() => encodeUnicodeString(65536, 1n)).toThrow(RangeError);
    expect(() => encodeUnicodeString(3, 1n)).toThrow(RangeError);
  });
});

describe('OBJECT_ATTRIBUTES', () => {
  it('is 48 bytes: Length, RootDirectory @8, ObjectName @16, Attributes @24, SecurityDescriptor @32, QoS @40', () => {
    const b = encodeObjectAttributes({ rootDirectory: 0xaaaan, objectName: 0xbbbbn, attributes: 0x40, securityDescriptor: 0xccccn });
    expect(b.length).toBe(OBJECT_ATTRIBUTES_BYTES);
    expect(b.readUInt32LE(0)).toBe(48);
    expect(b.readBigUInt64LE(8)).toBe(0xaaaan);
    expect(b.readBigUInt64LE(16)).toBe(0xbbbbn);
    expect(b.readUInt32LE(24)).toBe(0x40);
    expect(b.readUInt32LE(28)).toBe(0);
    expect(b.readBigUInt64LE(32)).toBe(0xccccn);
    expect(b.readBigUInt64LE(40)).toBe(0n);
  });
});

describe('BY_HANDLE_FILE_INFORMATION', () => {
  it('reads attributes @0, volume serial @28, links @40 and the 64-bit file index from @44 (high) and @48 (low)', () => {
    const b = Buffer.alloc(BY_HANDLE_FILE_INFORMATION_BYTES);
    b.writeUInt32LE(0x410, 0);
    b.writeUInt32LE(0xdeadbeef, 28);
    b.writeUInt32LE(3, 40);
    b.writeUInt32LE(0x1, 44);
    b.writeUInt32LE(0x2, 48);
    expect(decodeHandleFileInformation(b)).toEqual({ attributes: 0x410, volumeSerial: 0xdeadbeef, fileIndex: 0x1_0000_0002n, linkCount: 3 });
    expect(() => decodeHandleFileInformation(Buffer.alloc(51))).toThrow(RangeError);
  });
});

describe('names', () => {
  it('gives a drive root its NT name and nothing else', () => {
    expect(ntPathOfDriveRoot('c:\\')).toBe('\\??\\C:\\');
    for (const root of ['C:', '\\', '\\\\?\\C:\\', '\\\\server\\share\\', 'CC:\\', '']) expect(ntPathOfDriveRoot(root), root).toBeNull();
  });
  it('lets one entry through and refuses anything that resolves more or other than one entry', () => {
    for (const ok of ['Dumps', 'my dumps', 'a.b', '~x', 'Ünïcode']) expect(isSingleEntryName(ok), ok).toBe(true);
    for (const no of ['', '.', '..', 'a\\b', 'a/b', 'x:stream', 'dir::$INDEX_ALLOCATION', 'a*', 'a?', 'a"b', 'a<b', 'a|b', 'a\u0000', 'x'.repeat(256)]) {
      expect(isSingleEntryName(no), JSON.stringify(no)).toBe(false);
    }
  });
});
