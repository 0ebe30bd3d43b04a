// The demangler on names from node's .symtab, libstdc++ and rustc output, each checked against c++filt 2.40
// (binutils, `-s rust` for Rust; Rust crate hashes dropped), and on garbage: random strings, truncations and
// mutations of real names and hostile nesting must come back unchanged or as some string, never throw, and stay fast.
import { describe, expect, it } from 'vitest';
import { demangle, isMangled } from './demangle';

const CXX: [string, string][] = [
  ['_ZN4node5StartEiPPc', 'node::Start(int, char**)'],
  ['_ZZN4node5StartEiPPcE4init', 'node::Start(int, char**)::init'],
  ['_ZNK2v88internal12HandlerTable15GetRangeHandlerEi', 'v8::internal::HandlerTable::GetRangeHandler(int) const'],
  ['_ZNSt6vectorIiSaIiEE9push_backERKi', 'std::vector<int, std::allocator<int> >::push_back(int const&)'],
  ['_Z3maxIiET_S0_S0_', 'int max<int>(int, int)'],
  ['_ZN1AC2ERKS_', 'A::A(A const&)'],
  ['_ZN1AD0Ev', 'A::~A()'],
  ['_Z1fPFviE', 'f(void (*)(int))'],
  ['_Z1fM1AFviE', 'f(void (A::*)(int))'],
  ['_Z1fPA3_i', 'f(int (*) [3])'],
  ['_Z1fSs', 'f(std::basic_string<char, std::char_traits<char>, std::allocator<char> >)'],
  ['_ZTVN2v88internal11IdentityMapIjNS0_25FreeStoreAllocationPolicyEEE', 'vtable for v8::internal::IdentityMap<unsigned int, v8::internal::FreeStoreAllocationPolicy>'],
  ['_ZN2v88internal6maglev12_GLOBAL__N_19PrintImplINS1_15Float64ConstantEEEvRSoPNS1_19MaglevGraphLabellerEPKT_b.constprop.0',
    'void v8::internal::maglev::(anonymous namespace)::PrintImpl<v8::internal::maglev::Float64Constant>(std::basic_ostream<char, std::char_traits<char> >&, v8::internal::maglev::MaglevGraphLabeller*, v8::internal::maglev::Float64Constant const*, bool) [clone .constprop.0]'],
  ['_ZN4node7SPrintFIJRjRmS2_EEENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEESt17basic_string_viewIcS6_EDpOT_',
    'std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > node::SPrintF<unsigned int&, unsigned long&, unsigned long&>(std::basic_string_view<char, std::char_traits<char> >, unsigned int&, unsigned long&, unsigned long&)'],
  ['_ZN4node4wasi4WASI12WasiFunctionIPFjRS1_NS0_10WasmMemoryEjljjEXadL_ZNS1_6FdSeekES3_S4_jljjEEjJjljjEE12SlowCallbackERKN2v820FunctionCallbackInfoINS8_5ValueEEE',
    'node::wasi::WASI::WasiFunction<unsigned int (*)(node::wasi::WASI&, node::wasi::WasmMemory, unsigned int, long, unsigned int, unsigned int), &node::wasi::WASI::FdSeek, unsigned int, unsigned int, long, unsigned int, unsigned int>::SlowCallback(v8::FunctionCallbackInfo<v8::Value> const&)'],
  ['_ZN2v88internal11interpreter14BytecodeTraitsILNS1_19ImplicitRegisterUseE2EJLNS1_11OperandTypeE10EEE13kOperandTypesE',
    'v8::internal::interpreter::BytecodeTraits<(v8::internal::interpreter::ImplicitRegisterUse)2, (v8::internal::interpreter::OperandType)10>::kOperandTypes'],
  ['_ZNSo5flushEv@GLIBCXX_3.4', 'std::basic_ostream<char, std::char_traits<char> >::flush()@GLIBCXX_3.4'],
];

const RUST: [string, string][] = [
  ['_ZN4core3fmt9Formatter3pad17h0f5bd7a1f6c2bc2fE', 'core::fmt::Formatter::pad'],
  ['_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$7reserve17h0123456789abcdefE', 'alloc::raw_vec::RawVec<T,A>::reserve'],
  ['_ZN3std2io5stdio6_print17h1234567890abcdefE.llvm.1234', 'std::io::stdio::_print'],
  ['_RNvCskwGfYPst2Cb_3foo16example_function', 'foo::example_function'],
  ['_RINvNtC3std3mem8align_ofdE', 'std::mem::align_of::<f64>'],
  ['_RNvMsr_NtCs3ssYzQotkvD_3std4pathNtB5_7PathBuf3newCs15kBYyAo9fc_7mycrate', '<std::path::PathBuf>::new'],
  ['_RNCNCNvNtNtCsjrHSEGnQ3l9_3std3sys9backtrace10__print_fmts_00B9_', 'std::sys::backtrace::_print_fmt::{closure#1}::{closure#0}'],
  ['_RINvMNtCsgEmfK2I1SDS_4core5sliceSh11copy_withinINtNtNtB5_3ops5range14RangeInclusivejEECsfEOYDRpO4Ta_11miniz_oxide',
    '<[u8]>::copy_within::<core::ops::range::RangeInclusive<usize>>'],
];

/** A small deterministic generator, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('demangle', () => {
  it.each(CXX)('Itanium %s', (mangled, want) => {
    expect(isMangled(mangled)).toBe(true);
    expect(demangle(mangled)).toBe(want);
  });

  it.each(RUST)('Rust %s', (mangled, want) => {
    expect(demangle(mangled)).toBe(want);
  });

  it('leaves plain C names, MSVC names and near-misses alone', () => {
    for (const n of ['main', 'pthread_cond_wait', '__lll_lock_wait', '<fn_86100>', '?foo@@YAXXZ', '_Z', '_ZN', '_R', '_Zfoo', '_ZN3fooE_', '_RNv', '_ZN4node5StartEiPPc\0', 'Z', '']) {
      expect(demangle(n), JSON.stringify(n)).toBe(n);
    }
  });

  it('keeps the function name when only its parameters use what it does not read', () => {
    // decltype in a parameter: the name parses, the parameter list does not
    expect(demangle('_ZN3foo3barEDtfp_E')).toBe('foo::bar');
  });

  it('never throws or hangs on garbage, truncations and mutations of real names', () => {
    const rand = rng(13);
    const alphabet = '_ZNRSTEIJLKVPOFAMDpvicjlmSt0123456789abcdefghxyzBCUlt$.@';
    const seeds = [...CXX, ...RUST].map(([m]) => m);
    const started = performance.now();
    let changed = 0;
    for (let i = 0; i < 20_000; i++) {
      let s: string;
      const kind = i % 4;
      if (kind === 0) {
        s = (rand() < 0.5 ? '_Z' : '_R') + Array.from({ length: Math.floor(rand() * 60) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      } else {
        const base = seeds[Math.floor(rand() * seeds.length)]!;
        if (kind === 1) s = base.slice(0, Math.floor(rand() * base.length));
        else {
          const chars = [...base];
          for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) chars[Math.floor(rand() * chars.length)] = alphabet[Math.floor(rand() * alphabet.length)]!;
          s = chars.join('');
        }
      }
      const out = demangle(s);
      expect(typeof out).toBe('string');
      expect(out.length).toBeLessThanOrEqual(16_384);
      if (out !== s) changed++;
    }
    expect(changed).toBeGreaterThan(100); // the mutations did reach the parser, not only its first check
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('caps hostile nesting and substitution blow-up', () => {
    const deep = `_Z1f${'P'.repeat(5000)}i`;
    const templates = `_Z1f${'I1A'.repeat(3000)}${'E'.repeat(3000)}`;
    // each parameter doubles the text of the one it refers to
    let doubling = '_Z1f1A';
    for (let i = 0; i < 40; i++) doubling += i === 0 ? 'IS_E' : `IS${i.toString(36).toUpperCase()}_E`;
    const rustDeep = `_R${'INv'.repeat(3000)}C1a`;
    const rustBackrefLoop = '_RNvB0_3foo';
    for (const s of [deep, templates, doubling, rustDeep, rustBackrefLoop, `_Z${'N'.repeat(100_000)}`]) {
      const started = performance.now();
      const out = demangle(s);
      expect(out.length).toBeLessThanOrEqual(Math.max(s.length, 8_192));
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
