/**
 * Progress and summaries: on a terminal (Io.tty), synth and reach print a progress line per
 * environment or path on stderr; elsewhere (CI, pipes, these tests' default Io) nothing extra.
 * stdout keeps what it always held: synth's summary line, reach's analysis only.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as reach } from '../../../analysis/cli';
import { main as synth } from '../../../lib/cli/synth';
import { captureIo, REPO, skipWithoutShared, tempDir } from '../../support';

const FIXTURES = join(REPO, 'tests', 'fixtures', 'shop');

describe.skipIf(skipWithoutShared)('pnpm synth', () => {
  it('on a terminal: one line per environment on stderr, in order, then the summary on stdout', async () => {
    const io = { ...captureIo(), tty: true };
    expect(await synth(['--out', join(tempDir(), 'dist')], io)).toBe(0);
    expect(io.lines.err).toEqual([
      expect.stringMatching(/^synth: \[1\/7\] dev: \d+ components, \d+ objects in \d+ ms$/),
      expect.stringMatching(/^synth: \[2\/7\] lab: \d+ components, \d+ objects in \d+ ms$/),
      expect.stringMatching(/^synth: \[3\/7\] lattice-cluster1: \d+ components, \d+ objects in \d+ ms$/),
      expect.stringMatching(/^synth: \[4\/7\] lattice-cluster2: \d+ components, \d+ objects in \d+ ms$/),
      expect.stringMatching(/^synth: \[5\/7\] prod: \d+ components, \d+ objects in \d+ ms$/),
      expect.stringMatching(/^synth: \[6\/7\] staging: \d+ components, \d+ objects in \d+ ms$/),
      expect.stringMatching(/^synth: \[7\/7\] urlshort: \d+ components, \d+ objects in \d+ ms$/),
    ]);
    expect(io.lines.out).toEqual([
      expect.stringMatching(
        /^synth: 7 environments \(dev, lab, lattice-cluster1, lattice-cluster2, prod, staging, urlshort\), \d+ components, \d+ objects, \d+ files in \d+ ms -> /,
      ),
    ]);
    // The per-environment counts add up to the summary's.
    const sum = (i: number) => io.lines.err.reduce((n, l) => n + Number(/(\d+) components, (\d+) objects/.exec(l)![i]), 0);
    expect(io.lines.out[0]).toContain(`, ${sum(1)} components, `);
  });

  it('elsewhere: nothing on stderr', async () => {
    const io = captureIo();
    expect(await synth(['--out', join(tempDir(), 'dist'), '--env', 'dev'], io)).toBe(0);
    expect(io.lines.err).toEqual([]);
    expect(io.lines.out).toEqual([expect.stringMatching(/^synth: 1 environment \(dev\), /)]);
  });
});

describe('pnpm reach', () => {
  it('on a terminal: a line per path and a closing summary on stderr; stdout is the analysis alone', async () => {
    const plain = captureIo();
    expect(await reach([join(FIXTURES, 'apps.yaml'), join(FIXTURES, 'nested')], plain)).toBe(0);
    expect(plain.lines.err).toEqual([]);
    const io = { ...captureIo(), tty: true };
    expect(await reach([join(FIXTURES, 'apps.yaml'), join(FIXTURES, 'nested')], io)).toBe(0);
    expect(io.lines.out).toEqual(plain.lines.out);
    expect(io.lines.err).toEqual([
      expect.stringMatching(/^reach: \[1\/2\] .*apps\.yaml: \d+ objects in \d+ ms$/),
      expect.stringMatching(/^reach: \[2\/2\] .*nested: \d+ objects? in \d+ ms$/),
      expect.stringMatching(/^reach: \d+ objects from 2 paths, 2 workloads, \d+ NetworkPolic(y|ies): 3 connection lines in \d+ ms$/),
    ]);
  });
});
