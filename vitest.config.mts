import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Synth renders the upstream charts; tests take them from the shared folder beside the checkout
// (`$SHARED/upstream/charts`), unless ZT_CHARTS_DIR already names a charts directory.
const shared = process.env.SHARED ?? [join(import.meta.dirname, '..', 'shared'), join(import.meta.dirname, '..', '..', 'shared')].find((d) => existsSync(d));
const charts = process.env.ZT_CHARTS_DIR ?? (shared ? join(shared, 'upstream', 'charts') : undefined);

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'infra/test/**/*.test.ts'],
    // Synth-heavy suites share two cores; a generous timeout avoids flakes, not slowness.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: charts ? { ZT_CHARTS_DIR: charts } : {},
  },
});
