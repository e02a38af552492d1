/**
 * Runs before every test file (vitest `setupFiles`). Suites that share one module graph per
 * worker (vitest.config.mts) import tests/support once, so its own afterEach hook would only
 * follow the first file: registering it here keeps temporary directories cleaned after every
 * test. Imports nothing of the sources, so that a suite's vi.mock still applies to them.
 */
import { afterEach } from 'vitest';
import { removeTempDirs } from './temp-dirs';

afterEach(removeTempDirs);
