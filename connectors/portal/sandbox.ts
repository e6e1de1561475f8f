/** The portal simulator's entry: test and sandbox equipment, never imported by production code. */
export { startPortalSimulator, type PortalSimulator, type PortalActor, type PortalResponse, type PortalSimulatorOptions } from './simulator.ts';
