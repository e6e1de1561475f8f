/**
 * The bundled components. This is the only module that imports connectors and transformers: they
 * import the engine's public entry, never each other, so the dependency graph stays one-way.
 */
import { Registry } from './registry.ts';
import { decisionValidator } from './validation/decision-validator.ts';
import * as sopa from '../connectors/sopa/index.ts';
import * as gvs from '../connectors/gvs/index.ts';
import * as spolis from '../connectors/spolis/index.ts';
import * as lietis from '../connectors/lietis/index.ts';
import * as vsaa from '../connectors/vsaa/index.ts';
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
    .register('call', vsaa.vsaaGetPayments);
}

/** A partner simulator started for the sandbox: what partners.yaml's entry for it becomes. */
export interface SandboxPartner {
  system: string;
  endpoint: string;
  certPem: string;
  close(): Promise<void>;
}

/**
 * Starts the simulators of the partners the hub calls, on loopback, trusting the hub's certificate
 * (`npm start`). Here because only this module may import connectors.
 */
export async function startSandboxPartners(hubCertPem: string): Promise<SandboxPartner[]> {
  const sim = await vsaa.startVsaaSimulator({ hubCertPem });
  return [{ system: 'vsaa', endpoint: sim.url, certPem: sim.certPem, close: () => sim.close() }];
}
