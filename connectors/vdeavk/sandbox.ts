/** The VDEĀVK simulator's entry: test and sandbox equipment, never imported by production code. */
export {
  startVdeavkSimulator, VdeavkFault, VDEAVK_PATH, type VdeavkSimulator, type VdeavkSimulatorOptions, type VdeavkSwitches, type VdeavkPushResult,
} from './simulator.ts';
export { vdeavkDataSet, type VdeavkDataSet, type VdeavkDataOptions, type NewOpinion, type OpinionPatch } from './simulator-data.ts';
