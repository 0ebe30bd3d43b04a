// Attacks on the report's redaction: Calamari's and Tentacle's real argument shapes, values after a space and in
// quotes, connection strings, URL credentials, token shapes in any string (a module path too), profile paths;
// every masked value is gone from the output and counted, and nothing else is touched.
import { describe, expect, it } from 'vitest';
import type { ReportRedaction } from '../../../src-shared/model/analysis-report';
import { redactCommandLine, redactDeep, redactText } from './redact';

const API_KEY = 'API-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk';

function cmd(line: string): { out: string; r: ReportRedaction[] } {
  const r: ReportRedaction[] = [];
  return { out: redactCommandLine(line, 'header.commandLine', r), r };
}

describe('command-line redaction', () => {
  it("masks Calamari's sensitive-variables password and keeps the rest of its command line", () => {
    const line = 'C:\\Octopus\\Tools\\Calamari\\Calamari.exe deploy-package --package="C:\\Octopus\\Files\\App.1.0.0.nupkg" '
      + '--variables="C:\\Octopus\\Work\\20240101\\Variables.json" --sensitiveVariables="C:\\Octopus\\Work\\x\\Variables.secret" '
      + '--sensitiveVariablesPassword=hunter2hunter2hunter2AB== --outputVariablesPassword=s3cr3tValue';
    const { out, r } = cmd(line);
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('s3cr3tValue');
    expect(out).toContain('deploy-package --package="C:\\Octopus\\Files\\App.1.0.0.nupkg"');
    expect(out).toContain('--sensitiveVariablesPassword=<redacted>');
    expect(r.filter((x) => x.kind === 'option-value').map((x) => x.key)).toEqual(
      expect.arrayContaining(['--sensitiveVariablesPassword', '--outputVariablesPassword']),
    );
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  it.each([
    ['--password "a b c"', 'a b c'],
    ["--password 'a b c'", 'a b c'],
    ['--password hunter2', 'hunter2'],
    ['-p:Password=hunter2', 'hunter2'],
    ['/password:hunter2', 'hunter2'],
    ['--apiKey ' + API_KEY, API_KEY],
    ['--api-key=' + API_KEY.slice(4), API_KEY.slice(4)],
    ['--thumbprint=36F3CE0C2FA4B2A7A8D0C9E1F3B2A1C0D9E8F7A6', '36F3CE0C2FA4B2A7A8D0C9E1F3B2A1C0D9E8F7A6'],
    ['--client-secret=xyzzy42', 'xyzzy42'],
    ['--token="ghp_abcdefghijklmnopqrstuvwxyz0123456789"', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['DB_PASSWORD=hunter2 run', 'hunter2'],
    ['--sensitiveVariablesPassword="quoted value"', 'quoted value'],
  ])('masks the value of %s', (arg, secret) => {
    const { out, r } = cmd(`tool ${arg} --verbose`);
    expect(out).not.toContain(secret);
    expect(out).toMatch(/<redacted>/);
    expect(out.endsWith(' --verbose')).toBe(true);
    expect(r.length).toBeGreaterThanOrEqual(1);
  });

  it('masks connection-string passwords, URL credentials and secret query values inside any argument', () => {
    const { out, r } = cmd('app --db "Server=db;Database=x;User Id=sa;Password=x;Encrypt=true" --feed https://u:p4ss@host.example/path?sig=abcd123&x=1 --blob=AccountKey=Zm9vYmFy;EndpointSuffix=core');
    expect(out).toContain('Password=<redacted>;Encrypt=true');
    expect(out).toContain('https://u:<redacted>@host.example/path?sig=<redacted>&x=1');
    expect(out).toContain('AccountKey=<redacted>;EndpointSuffix=core');
    expect(out).not.toMatch(/p4ss|abcd123|Zm9vYmFy/);
    expect(r.map((x) => x.kind).sort()).toEqual(['connection-string-password', 'connection-string-password', 'query-secret', 'url-credentials']);
  });

  it('leaves a command line without secrets as it is', () => {
    const line = '/usr/bin/node --max-old-space-size=4096 server.js --port 8080 --keyboard-layout=us';
    const { out, r } = cmd(line);
    expect(out).toBe(line);
    expect(r).toEqual([]);
  });
});

describe('text redaction', () => {
  it.each([
    ['an Octopus API key', `calling with ${API_KEY} now`, API_KEY, 'token:octopus-api-key'],
    ['a JWT', `Authorization: ${JWT}`, JWT, 'token:jwt'],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE here', 'AKIAIOSFODNN7EXAMPLE', 'token:aws-access-key'],
    ['a GitHub token', 'ghs_0123456789abcdefghijABCDEFGHIJ012345', 'ghs_0123456789abcdefghijABCDEFGHIJ012345', 'token:github'],
    ['a bearer token', 'Bearer abc.def-ghi_jkl', 'abc.def-ghi_jkl', 'token:bearer'],
    ['a PEM block', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----', 'MIIEvQIBADANBg', 'token:pem'],
  ])('masks %s anywhere', (_what, text, secret, kind) => {
    const r: ReportRedaction[] = [];
    const out = redactText(text, 'threads[0].name', r);
    expect(out).not.toContain(secret);
    expect(r.map((x) => x.kind)).toContain(kind);
  });

  it('masks a token inside a module path, and the user name of profile paths', () => {
    const r: ReportRedaction[] = [];
    expect(redactText(`/home/alice/.cache/${API_KEY}/libfoo.so`, 'modules[3].path', r)).toBe('/home/<user>/.cache/<redacted>/libfoo.so');
    expect(redactText('C:\\Users\\bob.smith\\AppData\\Local\\app.dll', 'modules[4].path', r)).toBe('C:\\Users\\<user>\\AppData\\Local\\app.dll');
    expect(redactText('/Users/carol/lib.dylib', 'modules[5].path', r)).toBe('/Users/<user>/lib.dylib');
    expect(r.map((x) => `${x.kind} ${x.location}`)).toEqual([
      'token:octopus-api-key modules[3].path', 'profile-path modules[3].path', 'profile-path modules[4].path', 'profile-path modules[5].path',
    ]);
  });
});

describe('deep redaction of a report', () => {
  it('masks the command line by option, every other string by shape, and a masked value wherever else it appears', () => {
    const report = {
      header: { commandLine: '/home/dave/bin/app --password=Tr0ub4dor&3 --name x', process: 'app' },
      threads: [{ name: 'worker Tr0ub4dor&3', frames: [{ module: 'libc.so.6', offset: '0x1234' }] }],
      modules: [{ path: `/opt/${API_KEY}/lib.so` }],
      qualityNotes: ['fine'],
    };
    const { value, redactions } = redactDeep(report, ['header.commandLine']);
    const json = JSON.stringify(value);
    expect(json).not.toContain('Tr0ub4dor');
    expect(json).not.toContain(API_KEY);
    expect(json).not.toContain('dave');
    expect(value.header.commandLine).toBe('/home/<user>/bin/app --password=<redacted> --name x');
    expect(value.threads[0]!.frames[0]).toEqual({ module: 'libc.so.6', offset: '0x1234' });
    expect(redactions.map((r) => r.location)).toEqual(expect.arrayContaining(['header.commandLine', 'threads[0].name', 'modules[0].path']));
    expect(report.header.commandLine).toContain('Tr0ub4dor'); // the input is not changed in place
  });
});
