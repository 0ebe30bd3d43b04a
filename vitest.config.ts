// Unit and integration tests beside the code (x.test.ts). Integration tests use the real OS (spawned processes,
// gdb), so they get generous timeouts; speed goals live in the bench:* scripts, not here.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-shared/**/*.test.ts', 'src-main/**/*.test.ts', 'src-renderer/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
