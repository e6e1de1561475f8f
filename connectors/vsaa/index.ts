export { createVsaaClient, defaultPeriod, type VsaaClient, type VsaaClientOptions, type VsaaExchange, type VsaaQuery, type VsaaDeductionsAnswer, type VsaaGrantsAnswer, type VsaaPaymentsAnswer } from './outbound.ts';
export { startVsaaSimulator, VSAA_PATH, type VsaaSimulator, type VsaaSimulatorOptions, type VsaaSwitches } from './simulator.ts';
export { vsaaDataSet, type VsaaDataSet, type VsaaDataOptions, type VsaaPerson } from './simulator-data.ts';
export { VSAA_NS, VSAA_OPERATIONS, type VsaaService, type VsaaPeriod, type VsaaDeduction, type VsaaGrant, type VsaaPayment, type VsaaErrorCode } from './messages.ts';
export { vsaaGetDeductions, vsaaGetGrantedAmounts, vsaaGetPayments, vsaaPeriod } from './components.ts';
