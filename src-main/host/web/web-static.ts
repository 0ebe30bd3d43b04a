/*
 * The browser host's static files: the built renderer, confined to its folder. The file is opened before anything
 * is answered, so a file that vanished or cannot be opened gets a 404/500 and never a crash, and a read that fails
 * after the open (EIO) ends in a 500 when nothing was sent yet, or a cut connection when something was (issue 11,
 * item 10: createReadStream had no error listener). Runs in the `procscope serve` process.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { COMMON_HEADERS, refuse } from './web-responses';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The file under rendererDir for a decoded request path, or null when it leaves the folder or is no file. */
function resolveStaticFile(rendererDir: string, path: string): string | null {
  const file = normalize(join(rendererDir, path));
  if (!file.startsWith(rendererDir + sep)) return null;
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() ? file : null;
  } catch {
    // ENAMETOOLONG, ENOTDIR, EACCES: nothing we can serve.
    return null;
  }
}

/** Answers one GET/HEAD for `path` (already decoded and authorised). */
export function serveStaticFile(req: IncomingMessage, res: ServerResponse, rendererDir: string, path: string): void {
  const file = resolveStaticFile(rendererDir, path);
  if (!file) return refuse(res, 404, 'not found.');
  // setHeader, not writeHead: the head goes out with the first byte read, so a failing first read can still
  // become a 500 instead of a 200 with a cut body.
  res.statusCode = 200;
  for (const [name, value] of Object.entries(COMMON_HEADERS)) res.setHeader(name, value);
  res.setHeader('content-type', MIME[extname(file)] ?? 'application/octet-stream');
  if (req.method === 'HEAD') return void res.end();
  const stream = createReadStream(file);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    const status = err.code === 'ENOENT' || err.code === 'EISDIR' ? 404 : 500;
    refuse(res, status, status === 404 ? 'not found.' : 'the file could not be read.');
  });
  // A client that goes away mid-file must not keep the descriptor open until the file is read to its end.
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}
