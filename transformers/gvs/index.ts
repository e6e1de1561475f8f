export { gvsExportToCanonical } from './export-to-canonical.ts';
