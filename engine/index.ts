/**
 * The engine's public entry: connectors, transformers and the scheduler import from here only.
 */
export * from './errors.ts';
export * from '../schemas/canonical/model.ts';
export * from './components.ts';
export { compact, mapCode, quoteIfCanonical } from './mapping.ts';
export type { RouteDef, PartnerDef, HubConfig, Step, Trigger, RetryPolicy } from './route-types.ts';
export { Registry } from './registry.ts';
export { createLogger, maskPersonCodes, type Logger } from './logger.ts';
export { startLoopbackServer, serveWsdl, passSwitches, acceptSignedRequest, RequestIdMemory, type LoopbackServer, type LoopbackServerOptions, type WsdlContract, type OutageSwitches } from './loopback-server.ts';
export { readXml, elementToObject, type XmlElement } from './xml.ts';
export { parseXmlTree, childElement, childElements, textOf, attrValue, lookupNamespace, XmlTreeError, type XElement, type XAttr, type XChild } from './xml-tree.ts';
export { excC14n } from './c14n.ts';
export { createSigningIdentity, type SigningIdentity } from './signing.ts';
export {
  signEnvelope, signSoapBody, verifyEnvelope, SOAP11_NS, WSSE_NS, WSU_NS, DS_NS,
  type CanonicalXml, type SignEnvelopeOptions, type VerifyEnvelopeOptions, type VerifyEnvelopeResult,
} from './ws-security.ts';
export {
  soapEnvelope, soapPayload, soapFault, readSoapFault, leafValues, postSoap, faultToError, readSignedAnswer, signedSoapCall, keepAliveAgent, SchemeAgents, unexpectedAnswer, xmlEscape, xmlFields,
  type SignedAnswerSpec, type SoapExchange, type SoapFault, type XmlFields, type XmlLeaf, type SoapPostOptions, type SoapHttpResponse,
} from './soap.ts';
export { normalizePersonCode, personCodeProblem, makePersonCode, checkDigit, isNewStyle, isRealDate } from './validation/person-code.ts';
export {
  createRng, LATVIAN_NAMES, familyNames, personCodeFor, corruptPersonCode, pad2, isoDate, isoMonth, formatCents, datesInMonth,
  pickRecordKind, providerRegNo, planSchedule, plantRecords, plantedTruth, batchSizes, inBatches, SIMULATOR_CONFIG,
  type Rng, type NamePool, type PersonName, type PersonCodeStyle, type DateParts, type MonthDates, type PlantVariant, type PlantOptions, type Planting,
} from './simulation.ts';
// The SPOLIS store's batch encoding, for the outbound that writes it (it runs in a prep thread).
export { DecisionRowsEncoder, type DecisionRows } from '../store/index.ts';
export { postHttp, type HttpPostOptions, type HttpAnswer } from './http-post.ts';
