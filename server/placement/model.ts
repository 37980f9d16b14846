/** The native placement system and decision, shaped like the copt.v1 proto messages (camelCase). */

export type ResourceKind = 'EDGE' | 'VM' | 'FAAS';

export interface QueueingDemand { demand: number }
export interface FaasDemand { warm: number; cold: number }

export interface Candidate {
  resource: string;
  memory: number;
  queueing?: QueueingDemand;
  faas?: FaasDemand;
}

export interface Partition {
  name: string;
  next: string[];
  dataSize: number[];
  earlyExitProbability: number;
  candidates: Candidate[];
}

export interface Deployment { name: string; partitions: Partition[] }

export interface Component {
  name: string;
  deployments: Deployment[];
  localResTime?: number;
}

export interface Resource {
  name: string;
  kind: ResourceKind;
  layer: string;
  cost: number;
  memory: number;
  /** Most instances of an edge node or VM type; unused for FaaS. */
  number: number;
  /** FaaS only: seconds an idle warm instance lives. */
  idleTimeBeforeKill: number;
  description: string;
}

export interface DagEdge { from: string; to: string; probability: number }
export interface NetworkDomain { name: string; layers: string[]; accessDelay: number; bandwidth: number }
export interface GlobalConstraint { name: string; components: string[]; globalResTime: number }

export interface PlacementSystem {
  lambda: number;
  time: number;
  components: Component[];
  edges: DagEdge[];
  resources: Resource[];
  networkDomains: NetworkDomain[];
  globalConstraints: GlobalConstraint[];
}

/** One component's choice: the deployment and a resource for each of its partitions. */
export interface ComponentAssignment {
  component: string;
  deployment: string;
  partitions: { partition: string; resource: string }[];
}

export interface PlacementDecision {
  components: ComponentAssignment[];
  counts: { resource: string; count: number }[];
}

/**
 * Where the reference implementations disagree, a profile fixes each choice (PLACEMENT_MODEL.md).
 * `copt` is our default: physical units and every FaaS partition charged at its own rate.
 */
export type Profile = 'copt' | 'space4ai-d' | 'space4ai-r';

export type FaasCostRule =
  /** every partition on a function, at its component's arrival rate (SPACE4AI-D) */
  | 'component-rate'
  /** once per function, at the rate of the first partition placed on it (SPACE4AI-R) */
  | 'first-partition-rate'
  /** every partition on a function, at its own arrival rate (ours) */
  | 'partition-rate';

export interface Semantics {
  /** data sizes are megabytes and bandwidths megabits per second: multiply sizes by 8 */
  dataInBits: boolean;
  /** memory capacity of an edge/VM resource is one instance's (false: instances x memory) */
  memoryPerInstance: boolean;
  faasCost: FaasCostRule;
  /** the C++ tool's path-transfer quirk: the reach probability advances only across resources */
  pathReachQuirk: boolean;
}

export const PROFILES: Record<Profile, Semantics> = {
  copt: { dataInBits: true, memoryPerInstance: true, faasCost: 'partition-rate', pathReachQuirk: false },
  'space4ai-d': { dataInBits: true, memoryPerInstance: true, faasCost: 'component-rate', pathReachQuirk: false },
  'space4ai-r': { dataInBits: false, memoryPerInstance: false, faasCost: 'first-partition-rate', pathReachQuirk: true },
};

/** Relative slack allowed on response-time limits, so a limit met to rounding counts as met. */
export const TIME_TOLERANCE = 1e-9;
