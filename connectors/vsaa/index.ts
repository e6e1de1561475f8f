/** The VSAA connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export { createVsaaClient, defaultPeriod, type VsaaClient, type VsaaClientOptions, type VsaaExchange, type VsaaQuery, type VsaaDeductionsAnswer, type VsaaGrantsAnswer, type VsaaPaymentsAnswer } from './outbound.ts';
export { VSAA_NS, VSAA_OPERATIONS, type VsaaService, type VsaaPeriod, type VsaaDeduction, type VsaaGrant, type VsaaPayment, type VsaaErrorCode } from './messages.ts';
export { vsaaGetDeductions, vsaaGetGrantedAmounts, vsaaGetPayments, vsaaPeriod } from './components.ts';
