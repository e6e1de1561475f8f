/**
 * Components register by name; routes refer to them by name. The registry is the one place that
 * knows every name, so it can say which names would be valid when a route names a wrong one.
 */
import type {
  CallSpec, ComponentKind, DeliverySpec, FormatSpec, OutboundSpec, PullSpec, SimulatorSpec, SinkSpec, SoapEndpointSpec, TransformerSpec, ValidatorSpec,
} from './specs.ts';

interface KindMap {
  format: FormatSpec;
  transformer: TransformerSpec;
  validator: ValidatorSpec;
  outbound: OutboundSpec;
  simulator: SimulatorSpec;
  call: CallSpec;
  pull: PullSpec;
  soapEndpoint: SoapEndpointSpec;
  sink: SinkSpec;
  delivery: DeliverySpec;
}

export class Registry {
  private readonly byKind: { [K in ComponentKind]: Map<string, KindMap[K]> } = {
    format: new Map(), transformer: new Map(), validator: new Map(), outbound: new Map(), simulator: new Map(), call: new Map(),
    pull: new Map(), soapEndpoint: new Map(), sink: new Map(), delivery: new Map(),
  };

  register<K extends ComponentKind>(kind: K, spec: KindMap[K]): this {
    const map = this.byKind[kind] as Map<string, KindMap[K]>;
    if (map.has(spec.name)) throw new Error(`${kind} "${spec.name}" is registered twice`);
    map.set(spec.name, spec);
    return this;
  }

  get<K extends ComponentKind>(kind: K, name: string): KindMap[K] | undefined {
    return (this.byKind[kind] as Map<string, KindMap[K]>).get(name);
  }

  names(kind: ComponentKind): string[] {
    return [...this.byKind[kind].keys()].sort();
  }

  /** The bulk format and simulator of a source are looked up by source, not by name. */
  formatFor(source: string): FormatSpec | undefined {
    return [...this.byKind.format.values()].find((f) => f.source === source);
  }

  simulatorFor(source: string): SimulatorSpec | undefined {
    return [...this.byKind.simulator.values()].find((f) => f.source === source);
  }

  sources(): string[] {
    return [...this.byKind.format.values()].map((f) => f.source).sort();
  }

  /** "unknown transformer "x" (did you mean "y"?; valid: a, b)" */
  describeUnknown(kind: ComponentKind, name: string): string {
    const valid = this.names(kind);
    const near = closest(name, valid);
    return `unknown ${kind} "${name}"${near ? ` (did you mean "${near}"?)` : ''}; valid: ${valid.join(', ') || '(none registered)'}`;
  }
}

/** The valid name within edit distance 3, if any. */
export function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) { bestD = d; best = c; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
