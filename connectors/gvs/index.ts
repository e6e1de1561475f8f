export { gvsFormat } from './inbound.ts';
export { gvsSimulator } from './simulator.ts';
