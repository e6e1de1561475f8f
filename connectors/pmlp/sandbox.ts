/** The PMLP simulator's entry: test and sandbox equipment, never imported by production code. */
export { startPmlpSimulator, PmlpFault, PMLP_PATH, inRigaTime, type PmlpSimulator, type PmlpSimulatorOptions, type PmlpSwitches } from './simulator.ts';
export {
  pmlpDataSet, activeMunicipalities, type PmlpDataSet, type PmlpDataOptions, type PmlpPersonRecord, type PmlpSamples, type NewChange,
} from './simulator-data.ts';
