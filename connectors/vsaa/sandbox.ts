/** The VSAA simulator's entry: test and sandbox equipment, never imported by production code. */
export { startVsaaSimulator, VSAA_PATH, type VsaaSimulator, type VsaaSimulatorOptions, type VsaaSwitches } from './simulator.ts';
export { vsaaDataSet, type VsaaDataSet, type VsaaDataOptions, type VsaaPerson } from './simulator-data.ts';
