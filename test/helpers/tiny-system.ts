import type { PlacementDecision, PlacementSystem } from '../../server/placement/model.js';

/**
 * Two components, c1 (a two-partition chain h1 -> h2 with early exit 0.5) and c2 (one partition),
 * an edge node, a VM type and a FaaS function in three layers of one network domain.
 */
export function tinySystem(): PlacementSystem {
  return {
    lambda: 1,
    time: 1,
    components: [
      {
        name: 'c1',
        localResTime: 1,
        deployments: [{
          name: 's1',
          partitions: [
            { name: 'h1', next: ['h2'], dataSize: [10], earlyExitProbability: 0.5,
              candidates: [{ resource: 'E1', memory: 100, queueing: { demand: 0.2 } }, { resource: 'E2', memory: 100, queueing: { demand: 0.1 } }] },
            { name: 'h2', next: ['c2'], dataSize: [5], earlyExitProbability: 0,
              candidates: [{ resource: 'V1', memory: 100, queueing: { demand: 0.3 } }, { resource: 'E1', memory: 100, queueing: { demand: 0.6 } }] },
          ],
        }],
      },
      {
        name: 'c2',
        deployments: [{
          name: 's1',
          partitions: [{ name: 'h3', next: [], dataSize: [1], earlyExitProbability: 0,
            candidates: [{ resource: 'F1', memory: 100, faas: { warm: 1, cold: 2 } }, { resource: 'E2', memory: 100, queueing: { demand: 0.1 } }] }],
        }],
      },
    ],
    edges: [{ from: 'c1', to: 'c2', probability: 1 }],
    resources: [
      { name: 'E1', kind: 'EDGE', layer: 'L1', cost: 2, memory: 1000, number: 2, idleTimeBeforeKill: 0, description: '' },
      { name: 'E2', kind: 'EDGE', layer: 'L1', cost: 3, memory: 1000, number: 1, idleTimeBeforeKill: 0, description: '' },
      { name: 'V1', kind: 'VM', layer: 'L2', cost: 1, memory: 1000, number: 3, idleTimeBeforeKill: 0, description: '' },
      { name: 'F1', kind: 'FAAS', layer: 'L3', cost: 0.5, memory: 1000, number: 1, idleTimeBeforeKill: 600, description: '' },
    ],
    networkDomains: [{ name: 'ND1', layers: ['L1', 'L2', 'L3'], accessDelay: 0.01, bandwidth: 100 }],
    globalConstraints: [{ name: 'p1', components: ['c1', 'c2'], globalResTime: 10 }],
  };
}

/** h1 on E1, h2 on V1, h3 on F1, one instance each of E1 and V1. */
export function tinyDecision(): PlacementDecision {
  return {
    components: [
      { component: 'c1', deployment: 's1', partitions: [{ partition: 'h1', resource: 'E1' }, { partition: 'h2', resource: 'V1' }] },
      { component: 'c2', deployment: 's1', partitions: [{ partition: 'h3', resource: 'F1' }] },
    ],
    counts: [{ resource: 'E1', count: 1 }, { resource: 'V1', count: 1 }],
  };
}
