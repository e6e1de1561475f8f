/**
 * The bundled components. This is the only module that imports connectors and transformers: they
 * import the engine's public entry, never each other, so the dependency graph stays one-way.
 */
import { Registry } from '../engine/components/registry.ts';
import { decisionValidator } from '../engine/validation/decision-validator.ts';
import * as sopa from '../connectors/sopa/index.ts';
import * as gvs from '../connectors/gvs/index.ts';
import * as spolis from '../connectors/spolis/index.ts';
import * as lietis from '../connectors/lietis/index.ts';
import * as vsaa from '../connectors/vsaa/index.ts';
import * as vdeavk from '../connectors/vdeavk/index.ts';
import * as burvis from '../connectors/burvis/index.ts';
import * as lietisTransformers from '../transformers/lietis/index.ts';
import * as sopaTransformers from '../transformers/sopa/index.ts';
import * as gvsTransformers from '../transformers/gvs/index.ts';

export function builtinRegistry(): Registry {
  return new Registry()
    .register('format', sopa.sopaFormat)
    .register('simulator', sopa.sopaSimulator)
    .register('transformer', sopaTransformers.sopaExportToCanonical)
    .register('format', gvs.gvsFormat)
    .register('simulator', gvs.gvsSimulator)
    .register('transformer', gvsTransformers.gvsExportToCanonical)
    .register('format', lietis.lietisFormat)
    .register('simulator', lietis.lietisSimulator)
    .register('transformer', lietisTransformers.lietisExportToCanonical)
    .register('validator', decisionValidator)
    .register('outbound', spolis.upsertDecisions)
    .register('call', vsaa.vsaaGetDeductions)
    .register('call', vsaa.vsaaGetGrantedAmounts)
    .register('call', vsaa.vsaaGetPayments)
    .register('call', vdeavk.vdeavkGetOpinions)
    .register('pull', vdeavk.vdeavkOpinionsChanged)
    .register('soapEndpoint', vdeavk.vdeavkSubmitOpinions)
    .register('sink', spolis.storeOpinions)
    .register('call', burvis.burvisGetProfile)
    .register('pull', burvis.burvisProfilingChanges)
    .register('soapEndpoint', burvis.burvisSubmitProfilingChanges)
    .register('delivery', burvis.burvisSubmitCoParticipation)
    .register('delivery', sopa.sopaNotifyProfile)
    .register('delivery', lietis.lietisNotifyProfile);
}

/** A partner simulator started for the sandbox: what partners.yaml's entries for it become. */
export interface SandboxPartner {
  system: string;
  /** An agency's service URL, or a municipal system's notification receiver. */
  endpoint: string;
  certPem?: string;
  /** The bearer token a JSON receiver expects (SOPA). */
  token?: string;
  /** Municipal receivers: `notify` of that system's partners, not `endpoint`. */
  receiver?: boolean;
  /** Drives the hub's SOAP endpoint as the agency would (VDEĀVK, NVA pushes). */
  push?(hubSoapUrl: string, count: number): Promise<{ status: number }>;
  /** A person the simulator knows, for the sandbox's example query. */
  samplePerson?: string;
  close(): Promise<void>;
}

/**
 * Starts the simulators of the partners the hub calls or delivers to, on loopback, trusting the
 * hub's certificate (`npm start`). Here because only this module may import connectors.
 */
export async function startSandboxPartners(hubCertPem: string): Promise<SandboxPartner[]> {
  const [v, d, b, s, l] = await Promise.all([
    vsaa.startVsaaSimulator({ hubCertPem }),
    vdeavk.startVdeavkSimulator({ hubCertPem }),
    burvis.startBurvisSimulator({ hubCertPem }),
    sopa.startSopaNotificationReceiver({}),
    lietis.startLietisNotificationReceiver({ hubCertPem }),
  ]);
  return [
    { system: 'vsaa', endpoint: v.url, certPem: v.certPem, close: () => v.close() },
    { system: 'vdeavk', endpoint: d.url, certPem: d.certPem, close: () => d.close(), samplePerson: d.data.personWithOpinions, push: (url, n) => d.push(url, [...d.data.opinions.values()].slice(0, n)) },
    { system: 'burvis', endpoint: b.url, certPem: b.certPem, close: () => b.close(), push: (url, n) => b.push(url, b.data.all().slice(0, n)) },
    { system: 'sopa', endpoint: s.url, token: s.token, receiver: true, close: () => s.close() },
    { system: 'lietis', endpoint: l.url, certPem: l.certPem, receiver: true, close: () => l.close() },
  ];
}
