import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Vite's own warnings (missing sourcemap sources of inlined packages) are not test output
  logLevel: 'error',
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // GitHub's workflow parser imports its JSON schema without an import attribute: let Vite load it
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
