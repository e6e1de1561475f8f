/** The VZD simulator's entry: test and sandbox equipment, never imported by production code. */
export { startVzdSimulator, VzdFault, VZD_PATH, type VzdSimulator, type VzdSimulatorOptions, type VzdSwitches, type VzdStats } from './simulator.ts';
export { vzdDataSet, type VzdDataSet, type VzdDataOptions, type VzdPerson, type VzdSamples } from './simulator-data.ts';
