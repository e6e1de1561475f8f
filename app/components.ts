/**
 * The bundled components: which connectors and transformers this hub has. With app/sandbox.ts
 * (their simulators) this is the only place that imports connectors and transformers: they import
 * the engine's public entry, never each other, so the dependency graph stays one-way.
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
import * as vzd from '../connectors/vzd/index.ts';
import * as pmlp from '../connectors/pmlp/index.ts';
import * as eaddress from '../connectors/eaddress/index.ts';
import * as lietisTransformers from '../transformers/lietis/index.ts';
import * as sopaTransformers from '../transformers/sopa/index.ts';
import * as gvsTransformers from '../transformers/gvs/index.ts';
// Not through eservices/index.ts: the prep threads build this registry and need none of the HTTP side.
import { storeStateReportSink } from '../eservices/state-reports/sink.ts';

export function builtinRegistry(): Registry {
  return new Registry()
    .register('format', sopa.sopaFormat)
    .register('transformer', sopaTransformers.sopaExportToCanonical)
    .register('format', gvs.gvsFormat)
    .register('transformer', gvsTransformers.gvsExportToCanonical)
    .register('format', lietis.lietisFormat)
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
    .register('sink', spolis.storeRegisterChanges)
    .register('call', pmlp.pmlpGetPerson)
    .register('pull', pmlp.pmlpPersonChanges)
    .register('call', vzd.vzdGetProperty)
    .register('call', burvis.burvisGetProfile)
    .register('pull', burvis.burvisProfilingChanges)
    .register('soapEndpoint', burvis.burvisSubmitProfilingChanges)
    .register('delivery', burvis.burvisSubmitCoParticipation)
    .register('delivery', sopa.sopaNotifyProfile)
    .register('delivery', lietis.lietisNotifyProfile)
    .register('call', sopa.sopaOpenApplications)
    .register('call', lietis.lietisOpenApplications)
    .register('delivery', eaddress.eaddressSendMessage)
    .register('sink', storeStateReportSink);
}
