/** The e-address connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export { eaddressSendMessage, createEAddressSender, eaddressRequest, type EAddressSenderOptions } from './delivery.ts';
export { EADDRESS_KINDS, EADDRESS_LIMITS, messageProblem, type EAddressRequest, type EAddressAttachment, type MessageProblem } from './contract.ts';
