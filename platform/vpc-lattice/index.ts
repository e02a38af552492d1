/**
 * The vpc-lattice component: cross-cluster service networking through Amazon VPC Lattice
 * (issue 16). Enabled by a multi-cluster environment's `lattice` block; reads its cluster's
 * view ({@link latticeSettings}).
 */
import type { Component } from '../../lib/component';
import { latticeSettings } from './settings';

export const vpcLattice = {
  name: 'vpc-lattice',
  settings: latticeSettings,
  render() {
    // Filled in by the component's implementation.
  },
} satisfies Component;
