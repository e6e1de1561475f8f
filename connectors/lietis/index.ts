export { lietisFormat } from './inbound.ts';
export { lietisSimulator } from './simulator.ts';
