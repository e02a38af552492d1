/**
 * The `probes` block of an environment file: whether the live network probes are rendered, and
 * what they need to know that the environment does not say (an address that listens inside a
 * CIDR, the image, the timeout). Off unless the environment says `enabled: true`: there is no
 * default, so every environment that has the block states its choice, and an environment
 * without it (prod, as shipped) renders no probe.
 */
import { z } from 'zod';
import { contains, parseCidr, parseIpv4 } from '../../lib/cidr';
import { type SettingsBlock, settingsOf } from '../../lib/component';

/** busybox's `nc -z -w` is the whole probe; pinned by version tag like every image. */
export const DEFAULT_PROBE_IMAGE = 'busybox:1.36.1';

const show = (v: unknown) => JSON.stringify(v);

const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

function pinned(image: string): boolean {
  if (!IMAGE.test(image)) return false;
  const last = image.split('/').pop()!;
  const tag = last.includes(':') ? last.split(':')[1]!.split('@')[0] : undefined;
  return image.includes('@sha256:') || (tag !== undefined && tag !== 'latest');
}

const schema = z.strictObject({
  /** Render the probes (one Job per probed source workload, run by Argo CD after each sync). Required: say it. */
  enabled: z.boolean(),
  /** The probe image; it must provide busybox `sh` and `nc`. @default "busybox:1.36.1" */
  image: z
    .string()
    .refine(pinned, { error: (i) => `${show(i.input)} is not a pinned image reference (a version tag other than latest, or a digest)` })
    .default(DEFAULT_PROBE_IMAGE),
  /** Seconds each connection attempt may take before it counts as failed. @default 3 */
  timeoutSeconds: z.number().int().min(1).max(30).default(3),
  /**
   * For flow and blocked ends wider than one address: an IPv4 address inside the CIDR that
   * listens, keyed by the CIDR as the flow writes it (e.g. `{ "0.0.0.0/0": "1.1.1.1" }`).
   * Without one, those flows and paths are listed as skipped.
   */
  addresses: z
    .record(
      z.string().refine((s) => parseCidr(s) !== undefined, { error: (i) => `${show(i.input)} is not an IPv4 CIDR` }),
      z.string().refine((s) => parseIpv4(s) !== undefined, { error: (i) => `${show(i.input)} is not an IPv4 address` }),
    )
    .default({}),
});

export type ProbeSettings = z.output<typeof schema>;

export const probeSettings: SettingsBlock<typeof schema, ProbeSettings, 'probes'> = {
  key: 'probes',
  schema,
  resolve: (parsed) => parsed,
  *check(env) {
    const s = settingsOf(env, probeSettings);
    for (const [cidr, address] of Object.entries(s.addresses)) {
      if (!contains(parseCidr(cidr)!, parseCidr(`${address}/32`)!)) {
        yield { path: `probes.addresses[${show(cidr)}]`, message: `${show(address)} is not inside ${cidr}` };
      }
    }
  },
};
