/**
 * The bundled components. This is the only module that imports connectors and transformers: they
 * import the engine's public entry, never each other, so the dependency graph stays one-way.
 */
import { Registry } from './registry.ts';
import { decisionValidator } from './validation/decision-validator.ts';
import * as sopa from '../connectors/sopa/index.ts';
import * as spolis from '../connectors/spolis/index.ts';
import * as sopaTransformers from '../transformers/sopa/index.ts';

export function builtinRegistry(): Registry {
  return new Registry()
    .register('format', sopa.sopaFormat)
    .register('simulator', sopa.sopaSimulator)
    .register('transformer', sopaTransformers.sopaExportToCanonical)
    .register('validator', decisionValidator)
    .register('outbound', spolis.upsertDecisions);
}
