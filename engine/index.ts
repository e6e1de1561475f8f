/**
 * The engine's public entry: connectors, transformers and the scheduler import from here only.
 * Partner simulators import the simulator kit's entry too (engine/simulators/index.ts), which
 * production code never reaches.
 */
export * from './core/errors.ts';
export * from '../schemas/canonical/model.ts';
export * from './components/specs.ts';
export { compact, mapCode, quoteIfCanonical } from './components/mapping.ts';
export { socketsConfig, socketsOf } from './components/sockets.ts';
export type { RouteDef, PartnerDef, HubConfig, Step, Trigger, RetryPolicy } from './config/types.ts';
export { Registry } from './components/registry.ts';
export { createLogger, maskPersonCodes, type Logger } from './core/logger.ts';
export { readXml, elementToObject, firstForeignElement, type XmlElement } from './xml/reader.ts';
export { parseXmlTree, childElement, childElements, textOf, attrValue, lookupNamespace, XmlTreeError, type XElement, type XAttr, type XChild } from './xml/tree.ts';
export { excC14n } from './xml/c14n.ts';
export { createSigningIdentity, type SigningIdentity } from './soap/signing.ts';
export {
  signEnvelope, signSoapBody, verifyEnvelope, SOAP11_NS, WSSE_NS, WSU_NS, DS_NS,
  type CanonicalXml, type SignEnvelopeOptions, type VerifyEnvelopeOptions, type VerifyEnvelopeResult,
} from './soap/ws-security.ts';
export {
  soapEnvelope, soapPayload, soapFault, readSoapFault, leafValues, postSoap, faultToError, readSignedAnswer, signedSoapCall, keepAliveAgent, SchemeAgents, unexpectedAnswer, xmlEscape, xmlFields,
  type SignedAnswerSpec, type SoapExchange, type SoapFault, type XmlFields, type XmlLeaf, type SoapPostOptions, type SoapHttpResponse,
} from './soap/exchange.ts';
export { normalizePersonCode, personCodeProblem, makePersonCode, checkDigit, isNewStyle, isRealDate } from './validation/person-code.ts';
// The SPOLIS store's batch encoding, for the outbound that writes it (it runs in a prep thread).
export { DecisionRowsEncoder, type DecisionRows } from '../store/index.ts';
export { postHttp, type HttpPostOptions, type HttpAnswer } from './soap/http-post.ts';
