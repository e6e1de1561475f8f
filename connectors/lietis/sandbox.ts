/** The LIETIS simulator's entry: test and sandbox equipment, never imported by production code. */
export { lietisSimulator } from './simulator.ts';
export { startLietisNotificationReceiver, type LietisNotificationReceiver, type LietisReceiverOptions, type LietisReceiverSwitches } from './notify-simulator.ts';
export { startLietisApplicationsSimulator, type LietisApplicationsSimulator, type LietisApplicationsSimulatorOptions, type LietisApplicationsStats } from './simulator-applications.ts';
