/*
 * One build for the three Electron bundles plus the Node CLI. out/main/index.js is the Electron main process;
 * out/main/cli.js is the same services behind the `procscope` command (list, serve, dump, helper) for plain Node;
 * out/preload/index.cjs is the sandboxed preload; out/renderer is the React app, served by Electron or the
 * browser host alike. Dependencies (koffi, ws, zod) stay external in main: koffi loads a native prebuilt.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src-main/host/electron/main.ts'),
          cli: resolve(__dirname, 'src-main/cli/cli-entry.ts'),
          // Dump analysis runs in a worker thread of main or serve, so a long unwind never stalls the event loop.
          'analysis-worker': resolve(__dirname, 'src-main/host/analysis-worker-entry.ts'),
        },
        // Chunks sit beside the entries: the code finds cli.js, ../renderer and ../preload from __dirname, which
        // must be out/main whichever bundle a module lands in.
        output: { format: 'cjs', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src-main/host/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src-renderer/index.html') },
      },
    },
  },
});
