/*
 * Redaction of the analysis report, on by default (ANALYSIS.md §7.7): a command line is split into arguments and
 * the values of options whose names say secret (password, secret, token, key, thumbprint, Calamari's
 * --sensitiveVariablesPassword=…) are masked; in every string of the report connection-string passwords, URL
 * credentials, secret query values and known token shapes (Octopus API keys, JWTs, AWS key ids, GitHub tokens,
 * Bearer/Basic, PEM blocks) are masked and profile paths lose their user name; a value masked in the command line
 * is masked wherever else it appears. Each mask is counted with its kind and location, never its value. Pure.
 */
import type { ReportRedaction } from '../../../src-shared/model/analysis-report';

export const REDACTED = '<redacted>';
const USER = '<user>';

const SECRET_PARTS = new Set([
  'pass', 'password', 'passwd', 'passphrase', 'pwd', 'secret', 'secrets', 'token', 'tokens', 'apikey', 'key', 'keys', 'sas', 'sig',
  'signature', 'credential', 'credentials', 'cred', 'creds', 'auth', 'authorization', 'bearer', 'thumbprint', 'cert', 'certificate',
  'sensitive', 'privatekey', 'accesskey', 'connectionstring',
]);
const SECRET_SUBSTRING = /password|passwd|secret|token|apikey|api_key|thumbprint|credential|privatekey|accesskey|connectionstring/i;

/** Whether an option or variable name says its value is a secret: by whole words of its name, or a telling substring. */
export function isSecretKey(key: string): boolean {
  if (SECRET_SUBSTRING.test(key)) return true;
  const parts = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return parts.some((p, i) => SECRET_PARTS.has(p) || (i > 0 && SECRET_PARTS.has(parts[i - 1]! + p)));
}

interface Token {
  start: number;
  end: number;
  text: string;
}

/** Arguments as they stand in the line: runs of non-space, where '…' and "…" (with \" inside) may hold spaces. */
function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const start = i;
    let quote: string | null = null;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (quote) {
        if (c === '\\' && quote === '"' && line[i + 1] === '"') i++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (/\s/.test(c)) break;
    }
    out.push({ start, end: i, text: line.slice(start, i) });
  }
  return out;
}

const unquote = (s: string): string => s.replace(/^(["'])([\s\S]*)\1$/, '$2').replace(/\\"/g, '"');

const INLINE_OPTION = /^(-{1,2}|\/)?([A-Za-z_][\w.-]*)([=:])([\s\S]+)$/;
const BARE_OPTION = /^(-{1,2}|\/)([A-Za-z_][\w.-]*)$/;

/**
 * The command line with secret option values masked, then every argument through redactText. `found` collects the
 * masked values so that redactDeep can mask them elsewhere too.
 */
export function redactCommandLine(line: string, location: string, sink: ReportRedaction[], found: string[] = []): string {
  const tokens = tokenize(line);
  const replaced = new Map<number, string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const inline = INLINE_OPTION.exec(t.text);
    if (inline && isSecretKey(inline[2]!)) {
      found.push(unquote(inline[4]!));
      replaced.set(i, `${inline[1] ?? ''}${inline[2]}${inline[3]}${REDACTED}`);
      sink.push({ kind: 'option-value', location, key: `${inline[1] ?? ''}${inline[2]}` });
      continue;
    }
    const bare = BARE_OPTION.exec(t.text);
    const next = tokens[i + 1];
    if (bare && next && !next.text.startsWith('-') && isSecretKey(bare[2]!)) {
      found.push(unquote(next.text));
      replaced.set(i + 1, REDACTED);
      sink.push({ kind: 'option-value', location, key: t.text });
      i++;
    }
  }
  let out = '';
  let at = 0;
  tokens.forEach((t, i) => {
    out += line.slice(at, t.start) + (replaced.get(i) ?? redactText(t.text, location, sink));
    at = t.end;
  });
  return out + line.slice(at);
}

interface Rule {
  kind: string;
  re: RegExp;
  /** Rewrites one match; groups as String.replace passes them. */
  mask: (match: string, ...groups: string[]) => string;
}

const keepPrefix = (m: string, prefix: string): string => `${prefix}${REDACTED}`;

const RULES: readonly Rule[] = [
  { kind: 'token:pem', re: /(-----BEGIN [A-Z0-9 ]+-----)[\s\S]*?(-----END [A-Z0-9 ]+-----)/g, mask: (_m, b, e) => `${b}${REDACTED}${e}` },
  { kind: 'token:jwt', re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/g, mask: () => REDACTED },
  { kind: 'token:octopus-api-key', re: /\bAPI-[A-Z0-9]{26,32}\b/g, mask: () => REDACTED },
  { kind: 'token:aws-access-key', re: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, mask: () => REDACTED },
  { kind: 'token:github', re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})\b/g, mask: () => REDACTED },
  { kind: 'token:slack', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, mask: () => REDACTED },
  { kind: 'token:bearer', re: /\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}/g, mask: keepPrefix },
  {
    kind: 'connection-string-password',
    re: /\b((?:Password|Pwd|AccountKey|SharedAccessKey|SharedAccessSignature)\s*=\s*)(?!<redacted>)[^;"'&]+/gi,
    mask: keepPrefix,
  },
  { kind: 'url-credentials', re: /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@"']+:)(?!<redacted>)[^/\s@"']*(?=@)/gi, mask: keepPrefix },
  { kind: 'url-credentials', re: /\b([a-z][a-z0-9+.-]*:\/\/)(?!<redacted>)[^/\s:@"']+(?=@)/gi, mask: keepPrefix },
  {
    kind: 'query-secret',
    re: /([?&](?:sig|signature|token|access_token|code|key|apikey|api_key|password|secret|sas)=)(?!<redacted>)[^&#\s"']+/gi,
    mask: keepPrefix,
  },
];

const PROFILE_PATHS: readonly RegExp[] = [
  /(\/home\/)(?!<user>)([^/\s"':]+)/g,
  /(\/Users\/)(?!<user>|Shared\b)([^/\s"':]+)/g,
  /(\b[A-Za-z]:\\Users\\)(?!<user>|Public\b|Default\b|All Users\b)([^\\/\s"':]+)/gi,
];

/** Token shapes, connection strings, URL credentials and profile paths masked in any string. */
export function redactText(text: string, location: string, sink: ReportRedaction[]): string {
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.re, (...args: unknown[]) => {
      sink.push({ kind: rule.kind, location });
      const groups = args.slice(1).filter((g): g is string => typeof g === 'string');
      return rule.mask(args[0] as string, ...groups);
    });
  }
  for (const re of PROFILE_PATHS) {
    out = out.replace(re, (_m, prefix: string) => {
      sink.push({ kind: 'profile-path', location });
      return `${prefix}${USER}`;
    });
  }
  return out;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A redacted deep copy of a JSON-like value: the strings at `commandLinePaths` as command lines, every other string
 * as text, and every value masked in a command line (4 characters or more) masked wherever else it appears.
 */
export function redactDeep<T>(value: T, commandLinePaths: readonly string[]): { value: T; redactions: ReportRedaction[] } {
  const redactions: ReportRedaction[] = [];
  const found: string[] = [];
  const commandLines = new Map<string, string>();
  const visit = (v: Json, path: string, fn: (s: string, path: string) => string): Json => {
    if (typeof v === 'string') return fn(v, path);
    if (Array.isArray(v)) return v.map((x, i) => visit(x, `${path}[${i}]`, fn));
    if (v && typeof v === 'object') {
      const o: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) o[k] = visit(x, path ? `${path}.${k}` : k, fn);
      return o;
    }
    return v;
  };
  // First the command lines, to learn their secrets; then every string, the command lines' results kept.
  visit(value as Json, '', (s, path) => {
    if (commandLinePaths.includes(path)) commandLines.set(path, redactCommandLine(s, path, redactions, found));
    return s;
  });
  const secrets = [...new Set(found)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const out = visit(value as Json, '', (s, path) => {
    const line = commandLines.get(path);
    let text = line ?? s;
    for (const secret of secrets) {
      if (!text.includes(secret)) continue;
      text = text.split(secret).join(REDACTED);
      redactions.push({ kind: 'repeated-secret', location: path });
    }
    return line === undefined ? redactText(text, path, redactions) : text;
  });
  return { value: out as T, redactions };
}
