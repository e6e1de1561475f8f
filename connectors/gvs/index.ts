/** The GVS connector's production entry: what the application registers and other code may use. Its simulator's entry is ./sandbox.ts. */
export { gvsFormat } from './inbound.ts';
