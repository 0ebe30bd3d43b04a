// The URL that `procscope serve` prints once it listens (with its one-time token), read from a child process's
// stdout. Shared by the e2e fixtures, bench:ui and the README screenshot, which all start serve as a child.
const SERVE_URL = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/;

export function waitForServeUrl(child, what = 'procscope serve') {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const m = SERVE_URL.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before printing its URL: ${out}`)));
  });
}
