export { lietisExportToCanonical } from './export-to-canonical.ts';
