// Lint, and the layering of ../shared/HOUSE_STYLE.md as a CI check: who may import whom, by folder.
// The exception list (LAYER_EXCEPTIONS) may only shrink.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'net', 'http', 'worker_threads'];
const nodeBan = NODE_BUILTINS.map((n) => ({ group: [n], message: 'This layer must not use Node APIs.' }));
const ban = (patterns, message) => ({ group: patterns, message });

const LAYER_EXCEPTIONS = [];
const ELECTRON_BAN = ban(['electron'], 'Only src-main/host/electron may import electron.');
const FFI_BAN = ban(['**/ffi/**', 'koffi'], 'Native declarations stay in platform/<os>/ffi and dump/<os>: nothing above them sees a pointer.');
const RENDERER_BAN = ban(['**/src-renderer/**'], 'src-main never imports the renderer.');
// The CLI is a top layer like the hosts: the helper's entry sits in dump/helper, so nothing needs to reach into it.
const CLI_BAN = ban(['**/cli', '**/cli/**'], 'Only src-main/cli imports the CLI: the hosts, dump/ and the helper sit below it.');

function zone(files, groups) {
  return {
    files,
    ignores: LAYER_EXCEPTIONS,
    rules: { 'no-restricted-imports': ['error', { patterns: groups }] },
  };
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only (house style).' },
      ],
    },
  },
  {
    files: ['**/*.config.ts', '**/*.config.mjs', 'eslint.config.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  zone(['src-shared/**'], [
    ...nodeBan,
    ban(['electron', 'koffi', 'react', 'react-dom', 'zustand', 'ws'], 'src-shared is pure TypeScript.'),
    ban(['**/src-main/**', '**/src-renderer/**'], 'src-shared imports only itself.'),
  ]),
  // Flat config: for one rule the last matching block wins, so general zones come first and each narrower zone
  // repeats the general bans it must keep.
  zone(['src-main/**'], [ELECTRON_BAN, RENDERER_BAN, CLI_BAN]),
  zone(['src-main/host/**', 'src-main/poller/**', 'src-main/analysis/**', 'src-main/*.ts'], [
    ELECTRON_BAN,
    RENDERER_BAN,
    FFI_BAN,
    CLI_BAN,
  ]),
  zone(['src-main/cli/**'], [ELECTRON_BAN, RENDERER_BAN, FFI_BAN]),
  zone(['src-main/host/electron/**'], [RENDERER_BAN, FFI_BAN, CLI_BAN]),
  zone(['src-main/platform/linux/**'], [
    ELECTRON_BAN,
    RENDERER_BAN,
    ban(['**/win32/**', '**/fake/**', '**/host/**', '**/poller/**', '**/dump/**', '**/cli/**'], 'An OS backend sees only src-shared, backend.ts and its own ffi/.'),
  ]),
  zone(['src-main/platform/win32/**'], [
    ELECTRON_BAN,
    RENDERER_BAN,
    ban(['**/linux/**', '**/fake/**', '**/host/**', '**/poller/**', '**/dump/**', '**/cli/**'], 'An OS backend sees only src-shared, backend.ts and its own ffi/.'),
  ]),
  zone(['src-main/dump/linux/**'], [ELECTRON_BAN, RENDERER_BAN, CLI_BAN, ban(['**/win32/**', '**/host/**', '**/poller/**'], 'The Linux dump writer sees only its own OS.')]),
  zone(['src-main/dump/win32/**'], [ELECTRON_BAN, RENDERER_BAN, CLI_BAN, ban(['**/linux/**', '**/host/**', '**/poller/**'], 'The Windows dump writer sees only its own OS.')]),
  zone(['src-renderer/**'], [
    ...nodeBan,
    ban(['electron', 'koffi', 'ws'], 'The renderer talks only to the typed API of src-shared/ipc.'),
    ban(['**/src-main/**'], 'The renderer imports src-shared only.'),
  ]),
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Raw IPC only in the Electron host (GitHub Desktop's rule): everything else uses the typed wrappers.
    files: ['src-main/**', 'src-renderer/**', 'src-shared/**'],
    ignores: ['src-main/host/electron/**'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'ipcMain', message: 'Raw IPC belongs in src-main/host/electron.' },
        { object: 'ipcRenderer', message: 'Raw IPC belongs in src-main/host/electron.' },
        { object: 'webContents', property: 'send', message: 'Raw IPC belongs in src-main/host/electron.' },
      ],
    },
  },
);
