/** The e-address simulator's entry: test and sandbox equipment, never imported by production code. */
export { startEAddressSimulator, EADDRESS_MESSAGES_PATH, type EAddressSimulator, type EAddressSimulatorOptions, type EAddressSwitches, type ReceivedMessage } from './simulator.ts';
