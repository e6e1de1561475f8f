export { sopaExportToCanonical } from './export-to-canonical.ts';
