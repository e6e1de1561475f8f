/** The VZD connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export { createVzdClient, type VzdClient, type VzdClientOptions, type VzdExchange, type VzdPropertyQuery } from './outbound.ts';
export {
  VZD_NS, VZD_OPERATION, PROPERTY_KINDS, VZD_ERROR_CODES, RATE_LIMIT_PER_SECOND, MAX_ANSWER_MS, VzdFieldError, readPropertyAnswer, readProperty, propertyFields,
  type PropertyKind, type VzdErrorCode, type VzdShare, type VzdProperty, type VzdPropertyAnswer,
} from './messages.ts';
export { vzdGetProperty } from './components.ts';
