/**
 * The simulator kit's entry: what partner simulators (connectors/<partner>/simulator*.ts) build on.
 * Test and sandbox equipment only: production code never imports it (test/engine/architecture.test.ts).
 */
export { startLoopbackServer, serveWsdl, passSwitches, acceptSignedRequest, RequestIdMemory, type LoopbackServer, type LoopbackServerOptions, type WsdlContract, type OutageSwitches } from './loopback-server.ts';
export {
  createRng, LATVIAN_NAMES, familyNames, personCodeFor, corruptPersonCode, pad2, isoDate, isoMonth, formatCents, datesInMonth,
  pickRecordKind, providerRegNo, planSchedule, plantRecords, plantedTruth, batchSizes, inBatches, SIMULATOR_CONFIG,
  type Rng, type NamePool, type PersonName, type PersonCodeStyle, type DateParts, type MonthDates, type PlantVariant, type PlantOptions, type Planting,
} from './generation.ts';
export { agencyReplies, RateWindows, type AgencyReplies } from './agency-replies.ts';
export { bearerToken, sendJson, jsonRefusal, stableJson, type BearerToken } from './json-service.ts';
