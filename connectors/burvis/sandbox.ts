/** The BURVIS simulator's entry: test and sandbox equipment, never imported by production code. */
export {
  startBurvisSimulator, profilingChangesRequest, BURVIS_PATH,
  type BurvisSimulator, type BurvisSimulatorOptions, type BurvisSwitches, type BurvisStats, type BurvisPushResult,
} from './simulator.ts';
export { burvisDataSet, type BurvisDataSet, type BurvisDataOptions, type BurvisSamples, type FeedPosition } from './simulator-data.ts';
export { type CoParticipationRecord } from './simulator-operations.ts';
