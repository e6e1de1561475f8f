export { sopaFormat } from './inbound.ts';
export { sopaSimulator } from './simulator.ts';
