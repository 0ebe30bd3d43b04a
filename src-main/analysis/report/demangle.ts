/*
 * Demangling of the function names the report prints (ANALYSIS.md §7.3): Itanium C++ (`_Z…`, what gcc and clang
 * emit on Linux and mingw), Rust legacy (`_ZN…17h<hash>E`, shown without the hash) and Rust v0 (`_R…`). Written
 * here rather than taken from npm's wasm demangler: that package is an ES module that imports its .wasm file,
 * which plain `require` in Electron's Node 22 cannot load and our CJS bundles keep external, and it changes some
 * non-mangled input (`_Z` came back as `Z`). This covers the common subset — nested and local names, templates,
 * the std:: abbreviations and substitutions, operators, constructors and destructors, lambdas, ABI tags, function
 * parameters, pointers to functions and members, literals, vtables and thunks, gcc's `.cold`/`.isra` clones; a
 * name using what it does not know (template expressions, decltype) comes back as its function name without the
 * parameters when that part parsed, else unchanged. Never throws; input and output sizes and recursion are capped,
 * so hostile names cost linear time. MSVC names (`?…`) are left raw. Pure.
 */

const MAX_INPUT = 16_384;
const MAX_OUTPUT = 8_192;
const MAX_DEPTH = 200;

class Fail extends Error {}
/** Well-formed, as far as it goes, but beyond this subset (decltype, template expressions). */
class Unsupported extends Fail {}
const fail = (): never => {
  throw new Fail();
};
const unsupported = (): never => {
  throw new Unsupported();
};

// ---------------------------------------------------------------------------------------------------------------
// Itanium C++ ABI (https://itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling), read for facts.

/** A printed type split around where a declarator goes: `void (` + `*` + `)(int)`. */
interface Ty {
  left: string;
  right: string;
  /** A function or array type not yet wrapped: a pointer to it needs parentheses. */
  bare: boolean;
  /** Function types: cv qualifiers go after the parameters. */
  fn?: boolean;
  /** Array types: a declarator around them is followed by a space (`int (*) [3]`). */
  array?: boolean;
  /** A reference type (for reference collapsing in pack expansions: `T&` + `&&` is `T&`). */
  ref?: '&' | '&&';
  /** A template argument pack (`J…E`): a pack expansion (`Dp`) repeats its pattern per element. */
  pack?: Ty[];
}

const simple = (s: string): Ty => ({ left: s, right: '', bare: false });
const text = (t: Ty): string => t.left + t.right;

const BUILTIN: Record<string, string> = {
  v: 'void', w: 'wchar_t', b: 'bool', c: 'char', a: 'signed char', h: 'unsigned char', s: 'short', t: 'unsigned short',
  i: 'int', j: 'unsigned int', l: 'long', m: 'unsigned long', x: 'long long', y: 'unsigned long long', n: '__int128',
  o: 'unsigned __int128', f: 'float', d: 'double', e: 'long double', g: '__float128', z: '...',
};
const BUILTIN_D: Record<string, string> = {
  d: 'decimal64', e: 'decimal128', f: 'decimal32', h: 'half', i: 'char32_t', s: 'char16_t', u: 'char8_t', a: 'auto',
  c: 'decltype(auto)', n: 'decltype(nullptr)',
};
const OPERATORS: Record<string, string> = {
  nw: 'new', na: 'new[]', dl: 'delete', da: 'delete[]', ps: '+', ng: '-', ad: '&', de: '*', co: '~', pl: '+', mi: '-',
  ml: '*', dv: '/', rm: '%', an: '&', or: '|', eo: '^', aS: '=', pL: '+=', mI: '-=', mL: '*=', dV: '/=', rM: '%=',
  aN: '&=', oR: '|=', eO: '^=', ls: '<<', rs: '>>', lS: '<<=', rS: '>>=', eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=',
  ge: '>=', ss: '<=>', nt: '!', aa: '&&', oo: '||', pp: '++', mm: '--', cm: ',', pm: '->*', pt: '->', cl: '()', ix: '[]',
  qu: '?', aw: 'co_await',
};
/** As c++filt prints them: the full template for Ss, Si, So, Sd. */
const STD_SUBS: Record<string, string> = {
  a: 'std::allocator', b: 'std::basic_string',
  s: 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >',
  i: 'std::basic_istream<char, std::char_traits<char> >',
  o: 'std::basic_ostream<char, std::char_traits<char> >',
  d: 'std::basic_iostream<char, std::char_traits<char> >',
};

/** The last component of a qualified name without its template arguments: `a::b<c::d>` → `b`. */
function lastComponent(name: string): string {
  let depth = 0;
  let from = 0;
  let to = name.length;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '<' || c === '(') {
      if (depth === 0 && c === '<' && i > from) to = i;
      depth++;
    } else if (c === '>' || c === ')') depth--;
    else if (depth === 0 && c === ':' && name[i + 1] === ':') {
      from = i + 2;
      to = name.length;
    }
  }
  return name.slice(from, to);
}
const LITERAL_SUFFIX: Record<string, string> = { j: 'u', l: 'l', m: 'ul', x: 'll', y: 'ull' };

/** What the last unqualified name was, for ctor/dtor names and the return-type rule. */
interface NameInfo {
  text: string;
  /** The last component (for a constructor's name). */
  last: string;
  /** Ends in template arguments (then a function's first type is its return type). */
  template: boolean;
  ctorDtorConv: boolean;
  /** cv and ref qualifiers of a member function (`NK…E`). */
  quals: string;
}

class ItaniumParser {
  private pos = 0;
  private depth = 0;
  private subs: Ty[] = [];
  private templateArgs: Ty[] = [];
  /** Inside a pack expansion: which element a pack parameter stands for, and the pack's size once seen. */
  private packIndex: number | null = null;
  private packSize: number | null = null;
  private inLambda = false;

  constructor(private readonly s: string) {}

  private peek(o = 0): string {
    return this.s[this.pos + o] ?? '';
  }
  private eat(c: string): boolean {
    if (this.s.startsWith(c, this.pos)) {
      this.pos += c.length;
      return true;
    }
    return false;
  }
  private expect(c: string): void {
    if (!this.eat(c)) fail();
  }
  private enter(): void {
    if (++this.depth > MAX_DEPTH) fail();
  }
  private addSub(t: Ty): void {
    if (text(t).length > MAX_OUTPUT) fail();
    this.subs.push(t);
  }
  private number(): number {
    const neg = this.eat('n');
    const m = /^\d+/.exec(this.s.slice(this.pos, this.pos + 12));
    if (!m) fail();
    this.pos += m![0].length;
    const n = Number(m![0]);
    return neg ? -n : n;
  }
  /** seq-id `_` : `_` is 0, `0_` is 1, `A_` is 11 (base 36, one more). */
  private seqId(): number {
    if (this.eat('_')) return 0;
    const m = /^[0-9A-Z]+/.exec(this.s.slice(this.pos, this.pos + 8));
    if (!m) fail();
    this.pos += m![0].length;
    this.expect('_');
    return parseInt(m![0], 36) + 1;
  }

  get done(): boolean {
    return this.pos >= this.s.length;
  }
  get rest(): string {
    return this.s.slice(this.pos);
  }

  /** <mangled-name> ::= _Z <encoding> [. <vendor-suffix>]; the parts parsed so far are kept for the fallback. */
  /** The outermost function's name, once parsed: the fallback when its parameters fail. */
  nameOnly: string | null = null;

  mangledName(): string {
    this.expect('_Z');
    return this.encoding((n) => {
      this.nameOnly = n;
    });
  }

  private encoding(onName?: (name: string) => void, noReturnType = false): string {
    this.enter();
    try {
      const special = this.specialName();
      if (special !== null) return special;
      const name = this.name();
      onName?.(name.text);
      if (this.done || this.peek() === 'E' || this.peek() === '.') return name.text;
      let ret = '';
      if (name.template && !name.ctorDtorConv) {
        const r = text(this.type());
        if (!noReturnType) ret = `${r} `;
      }
      const params: Ty[] = [];
      while (!this.done && this.peek() !== 'E' && this.peek() !== '.') params.push(this.type());
      const list = paramList(params);
      return `${ret}${name.text}(${list})${name.quals}`;
    } finally {
      this.depth--;
    }
  }

  private specialName(): string | null {
    const two = this.s.slice(this.pos, this.pos + 2);
    const labels: Record<string, string> = { TV: 'vtable for ', TT: 'VTT for ', TI: 'typeinfo for ', TS: 'typeinfo name for ' };
    if (labels[two]) {
      this.pos += 2;
      return labels[two] + text(this.type());
    }
    if (two === 'GV') {
      this.pos += 2;
      return `guard variable for ${this.name().text}`;
    }
    if (two === 'TW' || two === 'TH') {
      this.pos += 2;
      return `${two === 'TW' ? 'TLS wrapper function' : 'TLS init function'} for ${this.name().text}`;
    }
    if (two === 'Th' || two === 'Tv') {
      this.pos += 2;
      this.number();
      this.expect('_');
      if (two === 'Tv') {
        this.number();
        this.expect('_');
      }
      return `${two === 'Th' ? 'non-virtual' : 'virtual'} thunk to ${this.encoding()}`;
    }
    return null;
  }

  private name(): NameInfo {
    this.enter();
    try {
      const c = this.peek();
      if (c === 'N') return this.nestedName();
      if (c === 'Z') return this.localName();
      // unscoped-name, or unscoped-template-name + args; St prefix = std::
      let prefix = '';
      let fromSub = false;
      let base: Ty;
      let last: string;
      let ctorDtorConv = false;
      if (c === 'S' && this.peek(1) !== 't') {
        base = this.substitution();
        last = text(base);
        fromSub = true;
      } else {
        if (this.eat('St')) prefix = 'std::';
        const u = this.unqualifiedName('');
        last = u.text;
        ctorDtorConv = u.special;
        base = simple(prefix + u.text);
      }
      if (this.peek() === 'I') {
        if (!fromSub) this.addSub(base);
        const args = this.templateArgsList(true);
        return { text: text(base) + (text(base).endsWith('<') ? ' ' : '') + args, last, template: true, ctorDtorConv, quals: '' };
      }
      if (fromSub) fail(); // a bare substitution is not a function name
      return { text: text(base), last, template: false, ctorDtorConv, quals: '' };
    } finally {
      this.depth--;
    }
  }

  private cvQualifiers(): string {
    let q = '';
    if (this.eat('r')) q += ' restrict';
    if (this.eat('V')) q += ' volatile';
    if (this.eat('K')) q += ' const';
    return q;
  }

  private nestedName(): NameInfo {
    this.expect('N');
    let quals = this.cvQualifiers();
    if (this.eat('R')) quals += ' &';
    else if (this.eat('O')) quals += ' &&';
    let cur = '';
    let last = '';
    let template = false;
    let ctorDtorConv = false;
    let first = true;
    while (!this.eat('E')) {
      if (this.done) fail();
      const c = this.peek();
      template = false;
      ctorDtorConv = false;
      if (c === 'I') {
        if (first) fail();
        cur += (cur.endsWith('<') ? ' ' : '') + this.templateArgsList(true);
        template = true;
      } else if (c === 'S' && this.peek(1) !== 't') {
        if (!first) fail();
        cur = text(this.substitution());
        last = lastComponent(cur);
        first = false;
        continue; // a substitution is not added again
      } else if (c === 'T') {
        if (!first) fail();
        cur = text(this.templateParam());
      } else if (c === 'D' && (this.peek(1) === 't' || this.peek(1) === 'T')) {
        unsupported();
      } else {
        if (first && this.eat('St')) cur = 'std';
        const u = this.unqualifiedName(last);
        if (u.tag) {
          cur += u.text;
        } else {
          cur = cur ? `${cur}::${u.text}` : u.text;
          last = u.text;
        }
        ctorDtorConv = u.special;
      }
      first = false;
      if (this.peek() !== 'E') this.addSub(simple(cur));
    }
    if (first) fail();
    return { text: cur, last, template, ctorDtorConv, quals };
  }

  private localName(): NameInfo {
    this.expect('Z');
    const outer = this.encoding(undefined, true);
    this.expect('E');
    if (this.eat('s')) {
      this.discriminator();
      return { text: `${outer}::string literal`, last: 'string literal', template: false, ctorDtorConv: false, quals: '' };
    }
    if (this.eat('d')) {
      if (this.peek() !== '_') this.number();
      this.expect('_');
    }
    const inner = this.name();
    this.discriminator();
    return { ...inner, text: `${outer}::${inner.text}` };
  }

  private discriminator(): void {
    if (this.peek() !== '_') return;
    if (this.eat('__')) {
      this.number();
      this.expect('_');
    } else {
      this.pos++;
      if (!/\d/.test(this.peek())) fail();
      this.pos++;
    }
  }

  /** <unqualified-name>; `tag` marks an ABI tag (appended to the previous name). */
  private unqualifiedName(enclosing: string): { text: string; special: boolean; tag: boolean } {
    const c = this.peek();
    if (/\d/.test(c)) {
      const name = this.sourceName();
      return { text: name + this.abiTags(), special: false, tag: false };
    }
    if (c === 'B') return { text: this.abiTags(), special: false, tag: true };
    if (c === 'C' && /[1-5I]/.test(this.peek(1))) {
      this.pos += 1;
      if (this.eat('I')) {
        this.pos++; // CI1/CI2 <base class type>: inheriting constructor
        this.type();
      } else this.pos++;
      if (!enclosing) fail();
      return { text: enclosing + this.abiTags(), special: true, tag: false };
    }
    if (c === 'D' && /[0-5]/.test(this.peek(1))) {
      this.pos += 2;
      if (!enclosing) fail();
      return { text: `~${enclosing}${this.abiTags()}`, special: true, tag: false };
    }
    if (c === 'U') {
      if (this.eat('Ut')) {
        const n = this.peek() === '_' ? 0 : this.number() + 1;
        this.expect('_');
        return { text: `{unnamed type#${n + 1}}`, special: false, tag: false };
      }
      if (this.eat('Ul')) {
        const params: Ty[] = [];
        const saved = this.inLambda;
        this.inLambda = true; // T_ there is the lambda's own `auto` parameter
        while (!this.eat('E')) {
          if (this.done) fail();
          params.push(this.type());
        }
        this.inLambda = saved;
        const n = this.peek() === '_' ? 0 : this.number() + 1;
        this.expect('_');
        return { text: `{lambda(${paramList(params)})#${n + 1}}`, special: false, tag: false };
      }
      fail();
    }
    if (c === 'L') {
      // <unqualified-name> ::= L <source-name> [<discriminator>]: internal linkage (gcc)
      this.pos++;
      const name = this.sourceName();
      this.discriminator();
      return { text: name, special: false, tag: false };
    }
    return { ...this.operatorName(), tag: false };
  }

  private abiTags(): string {
    let out = '';
    while (this.eat('B')) out += `[abi:${this.sourceName()}]`;
    return out;
  }

  private sourceName(): string {
    const n = this.number();
    if (n <= 0 || this.pos + n > this.s.length) fail();
    const id = this.s.slice(this.pos, this.pos + n);
    this.pos += n;
    return id.startsWith('_GLOBAL__N') ? '(anonymous namespace)' : id;
  }

  private operatorName(): { text: string; special: boolean } {
    const two = this.s.slice(this.pos, this.pos + 2);
    if (two === 'cv') {
      this.pos += 2;
      return { text: `operator ${text(this.type())}`, special: true };
    }
    if (two === 'li') {
      this.pos += 2;
      return { text: `operator"" ${this.sourceName()}`, special: false };
    }
    if (two[0] === 'v' && /\d/.test(two[1] ?? '')) {
      this.pos += 2;
      return { text: `operator ${this.sourceName()}`, special: false };
    }
    const op = OPERATORS[two];
    if (!op) fail();
    this.pos += 2;
    return { text: /^[a-z]/.test(op!) ? `operator ${op}` : `operator${op}`, special: false };
  }

  private substitution(): Ty {
    this.expect('S');
    const c = this.peek();
    if (c && STD_SUBS[c]) {
      this.pos++;
      return simple(STD_SUBS[c]!);
    }
    const id = this.seqId();
    const t = this.subs[id];
    if (!t) fail();
    return t!;
  }

  private templateParam(): Ty {
    this.expect('T');
    const id = this.seqId();
    if (this.inLambda) return simple(`auto:${id + 1}`);
    const t = this.templateArgs[id];
    if (!t) fail();
    if (t!.pack && this.packIndex !== null) {
      this.packSize = t!.pack.length;
      const item = t!.pack[this.packIndex];
      return item ?? simple('');
    }
    return t!;
  }

  /** `I <template-arg>+ E` as `<a, b>`; `outer` args become what T_ refers to. */
  private templateArgsList(outer: boolean): string {
    this.expect('I');
    const args: Ty[] = [];
    while (!this.eat('E')) {
      if (this.done) fail();
      args.push(this.templateArg());
    }
    if (outer) this.templateArgs = args;
    const body = args.filter((a) => !(a.pack && a.pack.length === 0)).map(text).join(', ');
    return `<${body}${body.endsWith('>') ? ' ' : ''}>`;
  }

  private templateArg(): Ty {
    const c = this.peek();
    if (c === 'L') return this.exprPrimary();
    if (c === 'X') {
      this.pos++;
      const e = this.expression();
      this.expect('E');
      return e;
    }
    if (c === 'J') {
      this.pos++;
      const parts: Ty[] = [];
      while (!this.eat('E')) {
        if (this.done) fail();
        parts.push(this.templateArg());
      }
      return { ...simple(parts.map(text).join(', ')), pack: parts };
    }
    return this.type();
  }

  /** Only what template arguments of function pointers use: `ad` (address of) and literals; the rest fails. */
  private expression(): Ty {
    this.enter();
    try {
      if (this.eat('ad')) return simple(`&${text(this.expression())}`);
      if (this.peek() === 'L') return this.exprPrimary();
      if (this.peek() === 'T') return this.templateParam();
      return unsupported();
    } finally {
      this.depth--;
    }
  }

  private exprPrimary(): Ty {
    this.expect('L');
    if (this.eat('_Z')) {
      let name = '';
      this.encoding((n) => {
        name = n;
      });
      this.expect('E');
      return simple(name);
    }
    const tc = this.peek();
    const t = this.type();
    const m = /^n?[0-9a-f.]*/.exec(this.s.slice(this.pos, this.pos + 64))!; // decimal, or lowercase hex floats
    this.pos += m[0].length;
    this.expect('E');
    const v = m[0].replace(/^n/, '-');
    if (tc === 'b' && (v === '0' || v === '1')) return simple(v === '1' ? 'true' : 'false');
    if (tc === 'i') return simple(v);
    if (LITERAL_SUFFIX[tc]) return simple(v + LITERAL_SUFFIX[tc]);
    return simple(`(${text(t)})${v}`);
  }

  private type(): Ty {
    this.enter();
    try {
      return this.typeInner();
    } finally {
      this.depth--;
    }
  }

  private typeInner(): Ty {
    const c = this.peek();
    if (BUILTIN[c]) {
      this.pos++;
      return simple(BUILTIN[c]!);
    }
    if (c === 'u') {
      this.pos++;
      return simple(this.sourceName());
    }
    if (c === 'D') {
      const d = this.peek(1);
      if (BUILTIN_D[d]) {
        this.pos += 2;
        return simple(BUILTIN_D[d]!);
      }
      if (d === 'p') {
        this.pos += 2;
        const r = this.packExpansion();
        this.addSub(r);
        return r;
      }
      unsupported(); // decltype, vector types, …
    }
    if (c === 'r' || c === 'V' || c === 'K') {
      const q = this.cvQualifiers();
      const t = this.type();
      const r: Ty = t.fn ? { ...t, right: t.right + q } : { ...t, left: t.left + q };
      this.addSub(r);
      return r;
    }
    if (c === 'P' || c === 'R' || c === 'O') {
      this.pos++;
      const sym = c === 'P' ? '*' : c === 'R' ? '&' : '&&';
      const r = applyDeclarator(this.type(), sym);
      this.addSub(r);
      return r;
    }
    if (c === 'F') {
      this.pos++;
      this.eat('Y');
      const ret = this.type();
      const params: Ty[] = [];
      while (!this.eat('E')) {
        if (this.done) fail();
        if ((this.peek() === 'R' || this.peek() === 'O') && this.peek(1) === 'E') {
          this.pos++; // ref-qualifier of a member function type
          continue;
        }
        params.push(this.type());
      }
      const r: Ty = { left: `${text(ret)} `, right: `(${paramList(params)})`, bare: true, fn: true };
      this.addSub(r);
      return r;
    }
    if (c === 'A') {
      this.pos++;
      let dim = '';
      if (/\d/.test(this.peek())) dim = String(this.number());
      else if (this.peek() !== '_') fail();
      this.expect('_');
      const t = this.type();
      const r: Ty = { left: `${text(t)} `, right: `[${dim}]`, bare: true, array: true };
      this.addSub(r);
      return r;
    }
    if (c === 'M') {
      this.pos++;
      const cls = this.type();
      const member = this.type();
      const r: Ty = member.bare
        ? { left: `${member.left}(${text(cls)}::*`, right: `)${member.array ? ' ' : ''}${member.right}`, bare: false }
        : { left: `${text(member)} ${text(cls)}::*`, right: '', bare: false };
      this.addSub(r);
      return r;
    }
    if (c === 'T') {
      const p = this.templateParam();
      this.addSub(p);
      if (this.peek() === 'I') {
        const r = simple(text(p) + this.templateArgsList(false));
        this.addSub(r);
        return r;
      }
      return p;
    }
    if (c === 'S' && this.peek(1) !== 't') {
      const sub = this.substitution();
      if (this.peek() === 'I') {
        const r = simple(text(sub) + this.templateArgsList(false));
        this.addSub(r);
        return r;
      }
      return sub;
    }
    if (c === 'N' || c === 'Z' || /\d/.test(c) || c === 'S') {
      // <class-enum-type> ::= <name>; in a type its template args do not rebind T_
      const saved = this.templateArgs;
      const n = this.name();
      this.templateArgs = saved;
      const r = simple(n.text);
      this.addSub(r);
      return r;
    }
    return fail();
  }
  /**
   * `Dp <pattern>`: the pattern once per element of the pack its template parameter names, joined by commas
   * (an empty pack gives nothing); substitutions are recorded for the first element only.
   */
  private packExpansion(): Ty {
    const start = this.pos;
    this.packIndex = 0;
    this.packSize = null;
    const first = this.type();
    const size = this.packSize as number | null;
    this.packIndex = null;
    if (size === null) return { left: `(${text(first)})`, right: '...', bare: false };
    const end = this.pos;
    const subsAfterFirst = this.subs.length;
    const items: string[] = size > 0 ? [text(first)] : [];
    for (let i = 1; i < size; i++) {
      this.pos = start;
      this.packIndex = i;
      items.push(text(this.type()));
      this.packIndex = null;
      this.subs.length = subsAfterFirst;
      if (items.reduce((n, x) => n + x.length, 0) > MAX_OUTPUT) fail();
    }
    this.pos = end;
    return { ...simple(items.join(', ')), pack: [] };
  }
}

function paramList(params: readonly Ty[]): string {
  if (params.length === 1 && text(params[0]!) === 'void') return '';
  return params.filter((p) => !(p.pack && p.pack.length === 0 && text(p) === '')).map(text).join(', ');
}

/** A pointer or reference to `t`, collapsing references (`T& &&` is `T&`). */
function applyDeclarator(t: Ty, sym: '*' | '&' | '&&'): Ty {
  if (sym !== '*' && t.ref && !t.bare) {
    const ref = sym === '&' || t.ref === '&' ? '&' : '&&';
    return { left: t.left.slice(0, t.left.length - t.ref.length) + ref, right: t.right, bare: false, ref };
  }
  const ref = sym === '*' ? undefined : sym;
  if (t.bare) return { left: `${t.left}(${sym}`, right: `)${t.array ? ' ' : ''}${t.right}`, bare: false, ref };
  return { left: t.left + sym, right: t.right, bare: false, ref };
}

function demangleItanium(versioned: string): string | null {
  // a symbol version from .dynsym (`…@GLIBCXX_3.4`, `…@@GLIBC_2.2.5`) stays as it is
  const at = versioned.indexOf('@');
  const version = at > 0 ? versioned.slice(at) : '';
  const name = at > 0 ? versioned.slice(0, at) : versioned;
  // gcc's clones: foo.cold, foo.isra.0, foo.constprop.0.isra.0, foo.part.0, foo.lto_priv.0
  const clone = /((?:\.[A-Za-z_]+(?:\.\d+)*)+)$/.exec(name);
  const body = clone ? name.slice(0, clone.index) : name;
  const suffix = clone ? clone[1]!.split(/(?=\.[A-Za-z_])/).map((c) => ` [clone ${c}]`).join('') : '';
  const p = new ItaniumParser(body);
  try {
    const full = p.mangledName();
    if (!p.done || full.length > MAX_OUTPUT) throw new Fail();
    return full + suffix + version;
  } catch (err) {
    if (!(err instanceof Fail) && !(err instanceof RangeError)) throw err;
    const partial = err instanceof Unsupported ? p.nameOnly : null;
    return partial && partial.length <= MAX_OUTPUT ? partial + suffix + version : null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rust legacy: an Itanium nested name whose last part is `h` + 16 hex digits, with `$…$` escapes.

const RUST_ESCAPES: Record<string, string> = {
  SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',',
};

function rustLegacyPart(part: string): string | null {
  let s = part.startsWith('_$') ? part.slice(1) : part;
  let out = '';
  while (s.length > 0) {
    if (s.startsWith('..')) {
      out += '::';
      s = s.slice(2);
    } else if (s[0] === '$') {
      const end = s.indexOf('$', 1);
      if (end < 0) return null;
      const code = s.slice(1, end);
      let ch = RUST_ESCAPES[code];
      if (ch === undefined && /^u[0-9a-f]{1,6}$/.test(code)) {
        const cp = parseInt(code.slice(1), 16);
        if (cp > 0x10ffff || cp < 0x20) return null;
        ch = String.fromCodePoint(cp);
      }
      if (ch === undefined) return null;
      out += ch;
      s = s.slice(end + 1);
    } else if (s[0] === '.') {
      out += '.';
      s = s.slice(1);
    } else {
      const m = /^[^$.]+/.exec(s)!;
      out += m[0];
      s = s.slice(m[0].length);
    }
  }
  return out;
}

function demangleRustLegacy(name: string): string | null {
  const body = name.replace(/\.llvm\.\d+$/, '');
  if (!body.startsWith('_ZN') || !body.endsWith('E')) return null;
  const parts: string[] = [];
  let at = 3;
  while (at < body.length - 1) {
    const m = /^\d+/.exec(body.slice(at, at + 8));
    if (!m) return null;
    const n = Number(m[0]);
    at += m[0].length;
    if (n === 0 || at + n > body.length - 1) return null;
    parts.push(body.slice(at, at + n));
    at += n;
  }
  if (at !== body.length - 1 || parts.length < 2 || !/^h[0-9a-f]{16}$/.test(parts.at(-1)!)) return null;
  const out: string[] = [];
  for (const p of parts.slice(0, -1)) {
    const d = rustLegacyPart(p);
    if (d === null) return null;
    out.push(d);
  }
  return out.join('::');
}

// ---------------------------------------------------------------------------------------------------------------
// Rust v0 (https://doc.rust-lang.org/rustc/symbol-mangling/v0.html), read for facts. Punycode identifiers and
// the rarer forms fail, leaving the name raw.

const RUST_BASIC: Record<string, string> = {
  a: 'i8', b: 'bool', c: 'char', d: 'f64', e: 'str', f: 'f32', h: 'u8', i: 'isize', j: 'usize', l: 'i32', m: 'u32',
  n: 'i128', o: 'u128', s: 'i16', t: 'u16', u: '()', v: '...', x: 'i64', y: 'u64', z: '!', p: '_',
};

class RustV0Parser {
  private pos: number;
  private depth = 0;
  private readonly start: number;

  constructor(private readonly s: string) {
    this.pos = 2;
    if (/\d/.test(s[2] ?? '')) fail(); // only version 0 (no number) is defined
    this.start = 2;
  }
  private peek(): string {
    return this.s[this.pos] ?? '';
  }
  private eat(c: string): boolean {
    if (this.s[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }
  private enter<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) fail();
    try {
      const r = f();
      if (typeof r === 'string' && r.length > MAX_OUTPUT) fail();
      return r;
    } finally {
      this.depth--;
    }
  }
  get done(): boolean {
    return this.pos >= this.s.length;
  }

  private base62(): number {
    if (this.eat('_')) return 0;
    let n = 0;
    for (;;) {
      const c = this.peek();
      if (!c) fail();
      this.pos++;
      if (c === '_') return n + 1;
      const d = /\d/.test(c) ? c.charCodeAt(0) - 48 : /[a-z]/.test(c) ? c.charCodeAt(0) - 87 : /[A-Z]/.test(c) ? c.charCodeAt(0) - 29 : -1;
      if (d < 0) fail();
      n = n * 62 + d; // crate hashes are 64-bit: inexact then, which only a backref would mind (and refuses)
    }
  }
  private disambiguator(): number {
    return this.eat('s') ? this.base62() + 1 : 0;
  }
  private identifier(): { disamb: number; name: string } {
    const disamb = this.disambiguator();
    if (this.eat('u')) fail(); // punycode
    const m = /^(0|[1-9]\d*)/.exec(this.s.slice(this.pos, this.pos + 8));
    if (!m) fail();
    this.pos += m![0].length;
    const n = Number(m![0]);
    this.eat('_');
    if (this.pos + n > this.s.length) fail();
    const name = this.s.slice(this.pos, this.pos + n);
    this.pos += n;
    return { disamb, name };
  }
  private backref<T>(f: () => T): T {
    const at = this.pos - 1;
    const target = this.start + this.base62();
    if (target >= at) fail();
    const saved = this.pos;
    this.pos = target;
    try {
      return f();
    } finally {
      this.pos = saved;
    }
  }

  /** `value`: in an expression (`foo::<T>`) rather than a type (`Foo<T>`). */
  path(value: boolean): string {
    return this.enter(() => {
      const c = this.peek();
      this.pos++;
      switch (c) {
        case 'C':
          return this.identifier().name;
        case 'M': {
          this.disambiguator();
          this.path(false);
          return `<${this.type()}>`;
        }
        case 'X': {
          this.disambiguator();
          this.path(false);
          const self = this.type();
          return `<${self} as ${this.path(false)}>`;
        }
        case 'Y': {
          const self = this.type();
          return `<${self} as ${this.path(false)}>`;
        }
        case 'N': {
          const ns = this.peek();
          this.pos++;
          if (!/[A-Za-z]/.test(ns)) fail();
          const parent = this.path(value);
          const id = this.identifier();
          if (ns === 'C') return `${parent}::{closure${id.name ? `:${id.name}` : ''}#${id.disamb}}`;
          if (ns === 'S') return `${parent}::{shim${id.name ? `:${id.name}` : ''}#${id.disamb}}`;
          if (/[A-Z]/.test(ns)) return `${parent}::{${ns}${id.name ? `:${id.name}` : ''}#${id.disamb}}`;
          return `${parent}::${id.name}`;
        }
        case 'I': {
          const base = this.path(value);
          const args: string[] = [];
          while (!this.eat('E')) {
            if (this.done) fail();
            args.push(this.genericArg());
          }
          return `${base}${value ? '::' : ''}<${args.join(', ')}>`;
        }
        case 'B':
          return this.backref(() => this.path(value));
        default:
          return fail();
      }
    });
  }

  private genericArg(): string {
    if (this.eat('L')) {
      this.base62();
      return "'_";
    }
    if (this.eat('K')) return this.constValue();
    return this.type();
  }

  private constValue(): string {
    return this.enter(() => {
      if (this.eat('B')) return this.backref(() => this.constValue());
      if (this.eat('p')) return '_';
      const t = this.peek();
      this.pos++;
      const neg = this.eat('n');
      const m = /^[0-9a-f]*_/.exec(this.s.slice(this.pos, this.pos + 40));
      if (!m) fail();
      this.pos += m![0].length;
      const hex = m![0].slice(0, -1) || '0';
      if (t === 'b') return hex === '1' ? 'true' : 'false';
      if (t === 'c') return `'${String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff))}'`;
      if (!RUST_BASIC[t] || !/[ahtmyjsliqxno]/.test(t)) fail();
      return `${neg ? '-' : ''}${BigInt(`0x${hex}`).toString()}`;
    });
  }

  private type(): string {
    return this.enter(() => {
      const c = this.peek();
      if (RUST_BASIC[c]) {
        this.pos++;
        return RUST_BASIC[c]!;
      }
      this.pos++;
      switch (c) {
        case 'R':
        case 'Q': {
          if (this.eat('L')) this.base62();
          return `&${c === 'Q' ? 'mut ' : ''}${this.type()}`;
        }
        case 'P':
          return `*const ${this.type()}`;
        case 'O':
          return `*mut ${this.type()}`;
        case 'A': {
          const t = this.type();
          return `[${t}; ${this.constValue()}]`;
        }
        case 'S':
          return `[${this.type()}]`;
        case 'T': {
          const ts: string[] = [];
          while (!this.eat('E')) {
            if (this.done) fail();
            ts.push(this.type());
          }
          return `(${ts.join(', ')}${ts.length === 1 ? ',' : ''})`;
        }
        case 'F': {
          if (this.eat('G')) this.base62();
          const unsafe = this.eat('U');
          let abi = '';
          if (this.eat('K')) abi = this.eat('C') ? 'extern "C" ' : `extern "${this.identifier().name.replace(/_/g, '-')}" `;
          const args: string[] = [];
          while (!this.eat('E')) {
            if (this.done) fail();
            args.push(this.type());
          }
          const ret = this.type();
          return `${unsafe ? 'unsafe ' : ''}${abi}fn(${args.join(', ')})${ret === '()' ? '' : ` -> ${ret}`}`;
        }
        case 'D': {
          if (this.eat('G')) this.base62();
          const traits: string[] = [];
          while (!this.eat('E')) {
            if (this.done) fail();
            let t = this.path(false);
            const binds: string[] = [];
            while (this.eat('p')) {
              const m = /^\d+/.exec(this.s.slice(this.pos, this.pos + 8));
              if (!m) fail();
              this.pos += m![0].length;
              this.eat('_');
              const n = Number(m![0]);
              const name = this.s.slice(this.pos, this.pos + n);
              this.pos += n;
              binds.push(`${name} = ${this.type()}`);
            }
            if (binds.length) t = t.endsWith('>') ? `${t.slice(0, -1)}, ${binds.join(', ')}>` : `${t}<${binds.join(', ')}>`;
            traits.push(t);
          }
          if (!this.eat('L')) fail();
          this.base62();
          return `dyn ${traits.join(' + ')}`;
        }
        case 'B':
          return this.backref(() => this.type());
        default:
          this.pos--;
          return this.path(false);
      }
    });
  }
}

function demangleRustV0(name: string): string | null {
  const body = name.replace(/\.llvm\.\d+$/, '');
  try {
    const p = new RustV0Parser(body);
    const out = p.path(true);
    // An optional instantiating crate (a path) may follow; a vendor suffix starts with '.'.
    return out;
  } catch (err) {
    if (err instanceof Fail || err instanceof RangeError) return null;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** Whether a name looks mangled in a scheme this module reads. */
export function isMangled(name: string): boolean {
  return /^_{1,2}Z/.test(name) || name.startsWith('_R');
}

/**
 * The readable form of a mangled name, or the name unchanged when it is not mangled, or mangled in a way this
 * demangler does not read. Never throws.
 */
export function demangle(name: string): string {
  if (typeof name !== 'string' || name.length < 3 || name.length > MAX_INPUT) return name;
  try {
    // macOS-style extra underscore (`__Z…`) and `_R` v0 names
    const n = name.startsWith('__Z') ? name.slice(1) : name;
    if (n.startsWith('_ZN')) {
      const rust = demangleRustLegacy(n);
      if (rust !== null) return rust;
    }
    if (n.startsWith('_Z')) return demangleItanium(n) ?? name;
    if (n.startsWith('_R')) return demangleRustV0(n) ?? name;
    return name;
  } catch {
    return name;
  }
}
