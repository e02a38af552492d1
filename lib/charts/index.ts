/**
 * The chart engine: upstream Helm charts rendered at synth time, offline and pinned by content.
 *
 * - source.ts: chart folders (`<chart>-<version>/` in a charts directory) and their digests;
 * - lock.ts: charts.lock.json (the committed digests) and verification;
 * - template.ts: `renderChart`, the pinned `helm template` with an on-disk cache;
 * - crds.ts: upstream CRD files a chart lacks (crds.lock.json, reading, fetching);
 * - pull.ts: `pullCharts`, the only networked step (`pnpm charts pull`);
 * - pinned.ts: publishers' repositories of charts no registered component installs yet.
 */
export * from './crds';
export * from './lock';
export * from './pinned';
export * from './pull';
export * from './source';
export * from './template';
