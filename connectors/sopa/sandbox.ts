/** The SOPA simulator's entry: test and sandbox equipment, never imported by production code. */
export { sopaSimulator } from './simulator.ts';
export { startSopaNotificationReceiver, type SopaNotificationReceiver, type SopaReceiverOptions, type SopaReceiverSwitches } from './notify-simulator.ts';
export { startSopaApplicationsSimulator, type SopaApplicationsSimulator, type SopaApplicationsSimulatorOptions, type SopaApplicationsSwitches } from './simulator-applications.ts';
