/**
 * The component catalogue: which components an environment renders. Adding a platform
 * component = one entry here plus its name in `PLATFORM_COMPONENTS` (the compiler insists on
 * both); apps are components of their own, one per entry of the environment's `apps`.
 */
import { appComponent } from '../apps/app';
import { namespaces } from '../platform/namespaces';
import { networkPolicy } from '../platform/network-policy';
import { twingateAccessGateway } from '../platform/twingate-access-gateway';
import { twingateConnector } from '../platform/twingate-connector';
import { twingateOperator } from '../platform/twingate-operator';
import type { Component } from './component';
import type { Environment, PlatformComponentName } from './environment';

export const PLATFORM: Record<PlatformComponentName, Component> = {
  'network-policy': networkPolicy,
  'twingate-operator': twingateOperator,
  'twingate-access-gateway': twingateAccessGateway,
  'twingate-connector': twingateConnector,
};

/** Components rendered whatever the environment switches on. */
const ALWAYS: readonly Component[] = [namespaces];

export function componentsFor(env: Environment): Component[] {
  const list = [...ALWAYS, ...env.components.map((c) => PLATFORM[c]), ...Object.keys(env.apps).map(appComponent)];
  const seen = new Set<string>();
  for (const c of list) {
    // An app named like a platform component would share its dist/ directory.
    if (seen.has(c.name)) throw new Error(`component ${c.name} is rendered twice in environment ${env.name}`);
    seen.add(c.name);
  }
  return list.sort((a, b) => a.name.localeCompare(b.name));
}
