import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'infra/test/**/*.test.ts'],
    // Synth-heavy suites share two cores; a generous timeout avoids flakes, not slowness.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
