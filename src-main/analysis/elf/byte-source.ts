/*
 * Positional reads of a possibly multi-GiB file through a small page cache: the ELF core reader and the module
 * image reader never hold more than the pages they touched (at most CACHE_PAGES × PAGE_BYTES) plus what a caller
 * asked for. Every read is checked against the file size and a per-read cap; a read outside the file throws the
 * caller's format error with a sentence naming what was being read.
 */
import { open, type FileHandle } from 'node:fs/promises';

const PAGE_BYTES = 4096;
const CACHE_PAGES = 256; // 1 MiB: a stack walk rereads the same few pages of stack and unwind tables
/** One read larger than this is a malformed size field, not a real need (the largest real one: node's .eh_frame, 3 MB). */
export const MAX_READ_BYTES = 64 * 2 ** 20;

export type ErrorFactory = (message: string) => Error;

export class FileByteSource {
  private readonly pages = new Map<number, Buffer>();

  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    readonly path: string,
    private readonly fail: ErrorFactory,
  ) {}

  static async open(path: string, fail: ErrorFactory): Promise<FileByteSource> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw fail(`${path} is not a regular file.`);
      return new FileByteSource(fh, st.size, path, fail);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** fstat of the open file (the analysis pack's writer checks it is the inode a mapping named). */
  stat(): ReturnType<FileHandle['stat']> {
    return this.fh.stat();
  }

  /** `length` bytes at `offset`, or the caller's error naming `what` if any of them lies outside the file. */
  async read(offset: number, length: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw this.fail(`${what} (${length} bytes at file offset ${offset}) lies outside the ${this.size}-byte file.`);
    }
    if (length > MAX_READ_BYTES) throw this.fail(`${what} claims ${length} bytes, more than the ${MAX_READ_BYTES}-byte limit of one read.`);
    if (length === 0) return Buffer.alloc(0);
    const first = Math.floor(offset / PAGE_BYTES);
    const last = Math.floor((offset + length - 1) / PAGE_BYTES);
    if (last - first >= 8) return this.readDirect(offset, length, what); // big reads bypass the cache
    const out = Buffer.alloc(length);
    for (let p = first; p <= last; p++) {
      const page = await this.page(p, what);
      const pageStart = p * PAGE_BYTES;
      const from = Math.max(offset, pageStart);
      const to = Math.min(offset + length, pageStart + page.length);
      page.copy(out, from - offset, from - pageStart, to - pageStart);
    }
    return out;
  }

  private async page(index: number, what: string): Promise<Buffer> {
    const hit = this.pages.get(index);
    if (hit) {
      this.pages.delete(index); // re-insert: Map order is the LRU order
      this.pages.set(index, hit);
      return hit;
    }
    const start = index * PAGE_BYTES;
    const page = await this.readDirect(start, Math.min(PAGE_BYTES, this.size - start), what);
    this.pages.set(index, page);
    if (this.pages.size > CACHE_PAGES) this.pages.delete(this.pages.keys().next().value!);
    return page;
  }

  private async readDirect(offset: number, length: number, what: string): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw this.fail(`Short read of ${what}: the file ended at ${offset + done} (it shrank while open?).`);
      done += bytesRead;
    }
    return buf;
  }

  close(): Promise<void> {
    this.pages.clear();
    return this.fh.close();
  }
}
