/** The GVS simulator's entry: test and sandbox equipment, never imported by production code. */
export { gvsSimulator } from './simulator.ts';
