/**
 * The engine's public entry: connectors, transformers and the scheduler import from here only.
 */
export * from './errors.ts';
export * from '../schemas/canonical/model.ts';
export * from './components.ts';
export type { RouteDef, PartnerDef, HubConfig, Step, Trigger, RetryPolicy } from './route-types.ts';
export { Registry } from './registry.ts';
export { createLogger, maskPersonCodes, type Logger } from './logger.ts';
export { readXml, elementToObject, type XmlElement } from './xml.ts';
export { normalizePersonCode, personCodeProblem, makePersonCode, checkDigit, isNewStyle, isRealDate } from './validation/person-code.ts';
