/**
 * The shapes of the components a route refers to by name. Each declares a spec (name, summary,
 * and where it takes options, a JSON Schema for them) so that the registry can check a route
 * before anything runs and generate the component docs.
 */
import type { Decision, MessageType, MessageTypes, RecordError, Source } from '../../schemas/canonical/model.ts';
import type { XElement } from '../xml/tree.ts';
import type { CanonicalXml } from '../soap/ws-security.ts';
import type { Db, Store } from '../../store/index.ts';
import type { Logger } from '../core/logger.ts';
import type { SigningIdentity } from '../soap/signing.ts';

export type ComponentKind = 'format' | 'transformer' | 'validator' | 'outbound' | 'simulator' | 'call' | 'pull' | 'soapEndpoint' | 'sink' | 'delivery';

export interface ComponentSpec {
  name: string;
  summary: string;
  status?: 'stable' | 'beta' | 'experimental';
  /** JSON Schema of the options a route step may give this component. */
  config?: Record<string, unknown>;
}

/** The load a batch belongs to, as the record-level steps see it. */
export interface LoadContext {
  loadId: string;
  source: Source;
  municipality: string;
  period: string;
  /** When the load was created (ISO); a decision date may not be later. */
  createdAt: string;
}

/** The header every bulk format carries, in canonical spelling. */
export interface BatchHeader {
  municipality: string;
  period: string;
  created: string;
  count: number;
}

/** A record as the partner wrote it, before transformation. */
export interface PartnerRecord {
  /** The partner's record type: SOPA's element name (Statuss, Pabalsts…), GVS's recordType… */
  type: string;
  data: Record<string, unknown>;
  /** Problems found while reading the record itself (e.g. a GVS line that is not JSON). */
  errors?: RecordError[];
}

export interface ParsedBatch {
  header: BatchHeader;
  records: PartnerRecord[];
}

/** What a format module writes: its reader, and optionally a faster check for PUT and a splitter. */
export interface FormatDefinition extends ComponentSpec {
  source: Source;
  /** Content types accepted (lower case, without parameters). */
  contentTypes: string[];
  /**
   * Reads a batch record by record: each record goes to `onRecord` as soon as it is read (with the
   * header, which every format states before its records), and nothing is kept. The processing
   * path uses it, so a record's objects die young instead of living as long as the batch
   * (measured: garbage collection was the largest cost of a prep thread). Returns the header after
   * the batch-level checks (count included); a batch-level fault throws (ValidationError), possibly
   * after some records were handed over, which the caller then discards.
   */
  read(body: Buffer, contentType: string, onRecord: (record: PartnerRecord, header: BatchHeader) => void): BatchHeader;
  /**
   * The checks a batch must pass before it is accepted (well-formed, header, count), as cheaply as
   * the format allows; the API answers a PUT with it. Defaults to `read`, counting.
   */
  inspect?(body: Buffer, contentType: string): { header: BatchHeader; recordCount: number };
  /**
   * Splits one document (possibly far over the 4 MB batch limit) into self-contained documents of
   * at most `maxBytes` each, on record boundaries, each with its own header and count, in the
   * document's own encoding; records keep their order. Deterministic: the same input gives the
   * same bytes, so a resumed `load push` re-sends identical batches. Throws for a record that
   * cannot fit alone, naming it. Used by `load push`, never by the hub.
   */
  split?(body: Buffer, maxBytes: number): Buffer[];
  /**
   * Throws (HUB_ERR_BATCH_ENCODING) when a byte is not valid in the document's encoding; run
   * before inspect (the PUT), parse and split (`load push`), so a mislabelled export is refused
   * whole at the PUT instead of being decoded into replacement characters.
   */
  checkBytes?(body: Buffer, contentType: string): void;
}

/** A bulk format as the engine uses it: `parse` and `inspect` always there (see defineFormat). */
export interface FormatSpec extends FormatDefinition {
  /** The whole batch at once (tests, `load push`'s checks, the bench). */
  parse(body: Buffer, contentType: string): ParsedBatch;
  inspect(body: Buffer, contentType: string): { header: BatchHeader; recordCount: number };
}

export interface TransformContext {
  load: LoadContext;
  header: BatchHeader;
}

export interface TransformerSpec extends ComponentSpec {
  from: string;
  to: string;
  transform(record: PartnerRecord, ctx: TransformContext): Decision;
  /** The partner's spelling of a canonical field, so rejections name what the partner sent. */
  partnerField(kind: Decision['kind'], canonicalField: string): string;
  /** The partner's codes for a classifier field, so a CLASSIFIER rejection lists what it may send. */
  partnerCodes?(canonicalField: string): string[] | undefined;
}

/** The classifier tables every municipal partner's transformer keeps (partner code → canonical). */
export interface ClassifierTables {
  STATUS: Record<string, string>; ROLE: Record<string, string>; BENEFIT: Record<string, string>; OUTCOME: Record<string, string>;
  SERVICE: Record<string, string>; UNIT: Record<string, string>; CATEGORY: Record<string, string>;
}

const TABLE_OF_FIELD: Record<string, keyof ClassifierTables> = {
  status: 'STATUS', 'members.role': 'ROLE', benefitType: 'BENEFIT', outcome: 'OUTCOME', serviceType: 'SERVICE', 'volume.unit': 'UNIT', category: 'CATEGORY',
};

/** partnerCodes for a transformer from its classifier tables. */
export function partnerCodesFrom(tables: ClassifierTables): (canonicalField: string) => string[] | undefined {
  return (f) => {
    const name = TABLE_OF_FIELD[f];
    return name ? Object.keys(tables[name]) : undefined;
  };
}

export interface ValidateContext {
  load: LoadContext;
  /** Maps a canonical field to the partner's spelling (identity when no transformer preceded). */
  fieldName(kind: Decision['kind'], canonicalField: string): string;
  /** The partner's codes of a classifier field, when the preceding transformer knows them. */
  partnerCodes?(canonicalField: string): string[] | undefined;
}

export interface ValidatorSpec extends ComponentSpec {
  validate(record: Decision, ctx: ValidateContext): RecordError[];
}

/** A record that survived the record-level steps, with its place in the batch. */
export interface AcceptedRecord {
  index: number;
  record: Decision;
}

export interface RejectedRecord {
  index: number;
  naturalKey: string | null;
  kind: string | null;
  errors: RecordError[];
}

/** What a batch-level `to` step receives: the whole batch after the record-level steps. */
export interface BatchMessage {
  load: LoadContext;
  batchSeq: number;
  /** How many records passed the record-level steps. */
  acceptedCount: number;
  /**
   * The records that passed; absent when every batch-level step of the route encodes them in the
   * prep thread (OutboundSpec.encoder), so that no record objects cross from the thread.
   */
  accepted?: AcceptedRecord[];
  /** This step's own encoding of the accepted records, when its spec has `encode`. */
  encoded?: unknown;
  rejected: RejectedRecord[];
  /** The partner's spelling of a canonical field (for rejections the `to` step adds, e.g. DUPLICATE). */
  fieldName(kind: Decision['kind'], canonicalField: string): string;
}

/** Encodes a batch's accepted records one at a time (see OutboundSpec.encoder). */
export interface BatchEncoder {
  add(record: AcceptedRecord): void;
  /** The encoding of every record added; plain data (strings, arrays, typed arrays). */
  finish(): unknown;
}

/** What an outbound's encoder knows of the batch besides its records. */
export interface EncodeContext {
  load: LoadContext;
  batchSeq: number;
  /** When the batch reached the hub (ISO instant). */
  receivedAt: string;
  fieldName(kind: Decision['kind'], canonicalField: string): string;
}

export interface OutboundContext {
  store: Store;
  logger: Logger;
}

export interface Outbound {
  send(msg: BatchMessage): Promise<void>;
  close(): Promise<void>;
}

export interface OutboundSpec extends ComponentSpec {
  create(options: Record<string, unknown>, ctx: OutboundContext): Outbound;
  /**
   * Optional: turns the accepted records into the form send() writes, in a prep thread, each
   * record as soon as it passed the record-level steps. Pure CPU and plain data out: what crosses
   * back from the thread is the encoding, not one object graph per record, which the writer's
   * thread would pay for in deserialization and garbage collection (measured: a quarter of its
   * time before encoders).
   */
  encoder?(ctx: EncodeContext): BatchEncoder;
}

/** The partner a call component talks to, as partners.yaml registers it. */
export interface CallTarget {
  partnerId: string;
  /** The partner's service endpoint (partners.yaml `endpoint`). */
  endpoint: string;
  /** The partner's certificate (PEM): its answers must be signed with it. Empty for a JSON partner that does not sign (SOPA). */
  certPem: string;
  /** The bearer token a JSON partner expects (SOPA); absent for signed SOAP partners. */
  token?: string;
}

export interface CallContext {
  target: CallTarget;
  /** The hub's own key and certificate, which the partner has registered. */
  identity: SigningIdentity;
  logger: Logger;
}

/** One per-person question, already validated by the query API (personCode canonical). */
export interface CallRequest {
  personCode: string;
  purpose: string;
  /** YYYY-MM; the component picks its partner's default when absent. */
  periodFrom?: string;
  periodTo?: string;
  /** The ATVK of the municipality that asks. */
  requesterId: string;
  /** Unique per question; the partner's own audit keeps it. */
  requestId: string;
}

export interface CallOptions {
  /** The whole exchange must finish within this, or it fails with HUB_ERR_PARTNER_TIMEOUT. */
  timeoutMs: number;
}

/**
 * A synchronous exchange with a partner (a `call:` step): resolves with the canonical answer,
 * rejects with a ConnectorError whose httpStatus is what the query API answers.
 */
export interface Call {
  call(req: CallRequest, opts: CallOptions): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * A component a `call:` step names. Kept apart from OutboundSpec: an outbound receives a batch and
 * answers nothing, a call answers one question within a deadline, and its endpoint, certificate and
 * policies come from the partner it names, not from the route.
 */
export interface CallSpec extends ComponentSpec {
  /** The partners.yaml `system` whose entry gives endpoint, certificate and policies. */
  partner: string;
  create(options: Record<string, unknown>, ctx: CallContext): Call;
}

/** One page of a partner's change feed (a scheduled pull), in the partner's change order. */
export interface PullRequest {
  /** Changes strictly after this instant (ISO, UTC). */
  since: string;
  /** The partner's cursor from the previous page of the same `since`; absent on the first page. */
  cursor?: string;
  pageSize: number;
  /** Unique per request; the partner's audit keeps it. */
  requestId: string;
}

export interface PullPage<T> {
  /** Canonical items, in the partner's change order (ChangedAt / UpdatedAt). */
  items: T[];
  /** Present when more pages follow; absent on the last page. */
  nextCursor?: string;
}

export interface Pull<T = unknown> {
  page(req: PullRequest, opts: CallOptions): Promise<PullPage<T>>;
  close(): Promise<void>;
}

/**
 * A change feed a `from: {schedule: {pull}}` route reads page by page (VDEĀVK opinions, BURVIS
 * profiling changes). The scheduler keeps the checkpoint; the component only asks for a page and
 * returns canonical items with their change instant (`changedAt` of `changedAtField`), which is
 * what the next run's `since` is taken from. Errors are ConnectorErrors like a call's.
 */
export interface PullSpec<M extends MessageType = MessageType> extends ComponentSpec {
  partner: string;
  produces: M;
  /** The item field holding its change instant (ISO): the checkpoint advances to the newest. */
  changedAtField: string;
  create(options: Record<string, unknown>, ctx: CallContext): Pull<MessageTypes[M]>;
}

/** A SOAP fault the hub answers from its own endpoints, with the partner-facing ErrorCode. */
export class SoapRequestError extends Error {
  constructor(readonly errorCode: 'INVALID_REQUEST' | 'ACCESS_DENIED' | 'SIGNATURE_INVALID' | 'UNAVAILABLE', message: string) { super(message); }
}

export interface SoapRequest<T> {
  requestId: string;
  items: T[];
}

/**
 * A SOAP operation the hub serves at `/soap/{service}` (a `from: {soap: {service, operation}}`
 * route): the connector reads the verified request payload into canonical items and writes the
 * answer; the engine verifies WS-Security against the partner's registered certificate, refuses
 * repeats with other content, runs the route's effect, signs the answer, and audits.
 */
export interface SoapEndpointSpec<M extends MessageType = MessageType> extends ComponentSpec {
  /** The URL segment: `/soap/{service}`. */
  service: string;
  operation: string;
  /** The partners.yaml `system` whose certificate must sign the requests. */
  partner: string;
  produces: M;
  /** The payload's namespace and the WSDL under schemas/wsdl/ served at `?wsdl`. */
  namespace: string;
  wsdl: string;
  /** The items of a verified request payload, or a SoapRequestError('INVALID_REQUEST', …) naming the field. */
  read(payload: XElement): SoapRequest<MessageTypes[M]>;
  /** The answer once the effect is done: `count` items were stored or queued. */
  respond(requestId: string, count: number): CanonicalXml;
  /** A fault in this service's namespace (detail/ErrorCode). */
  fault(e: SoapRequestError): CanonicalXml;
}

/** What a sink's effect may use: the store, and the delivery outbox. */
export interface SinkContext {
  store: Store;
  logger: Logger;
}

/** Where a sink is called from, for its audit rows and logs. */
export interface SinkMeta {
  routeId: string;
  /** The partner the items came from (partners.yaml id). */
  actor: string;
  origin: 'pull' | 'push';
  requestId?: string;
}

export interface Sink<T = unknown> {
  /**
   * Applies the items inside the caller's transaction `tx` (which also moves a pull's checkpoint
   * or records a SOAP RequestId); idempotent: a repeat changes nothing. Resolves with how many
   * items it applied.
   */
  accept(items: T[], meta: SinkMeta, tx: Db): Promise<number>;
  close(): Promise<void>;
}

/** A `to:` step of a pull or SOAP route: the store effect of canonical items. */
export interface SinkSpec<M extends MessageType = MessageType> extends ComponentSpec {
  accepts: M;
  create(options: Record<string, unknown>, ctx: SinkContext): Sink<MessageTypes[M]>;
}

/** Where one delivery goes, from partners.yaml. */
export interface DeliveryTarget {
  partnerId: string;
  /** The receiver's URL (a municipal partner's `notify.endpoint`, an agency's `endpoint`). */
  endpoint: string;
  /** The receiver's certificate (SOAP receivers): its answers must be signed with it. */
  certPem?: string;
  /** The bearer token a JSON receiver expects (SOPA). */
  token?: string;
}

export interface DeliveryRequest<T> {
  /** Stable across retries and replays: the receiver deduplicates by it (notificationId, RequestId). */
  deliveryId: string;
  /** The municipality the item concerns (ATVK). */
  municipality: string;
  item: T;
}

export interface DeliveryResult {
  /** The receiver already had this deliveryId (SOPA's 200, a repeated RequestId). */
  duplicate: boolean;
  /** The receiver's reference, when it gives one (NVA's Ref). */
  ref?: string;
  /**
   * The receiver answered that the item can never be delivered (an e-address the recipient has not
   * activated), with the reason: the delivery ends `undeliverable`, neither retried nor dead-lettered.
   */
  undeliverable?: string;
}

export interface Delivery<T = unknown> {
  /** Rejects with a ConnectorError: `retryable` ones are retried, others go to the dead letters at once. */
  deliver(req: DeliveryRequest<T>, target: DeliveryTarget, opts: CallOptions): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/**
 * A `deliver:` step: sends one item to a partner, asynchronously, from the delivery outbox with
 * retries and dead letters. `system` picks the receiver: for a municipal system (sopa, lietis) the
 * partner of that system for the item's municipality; otherwise the one partner of that system.
 */
export interface DeliverySpec<M extends MessageType = MessageType> extends ComponentSpec {
  system: string;
  accepts: M;
  /** Whether the receiver is the item's municipality's own system (SOPA, LIETIS) or one agency. */
  receiver: 'municipality' | 'agency';
  create(options: Record<string, unknown>, ctx: { identity: SigningIdentity; logger: Logger }): Delivery<MessageTypes[M]>;
}

export interface PlantedError {
  batch: number;
  index: number;
  code: RecordError['code'];
  field: string;
}

export interface GeneratedLoad {
  /** One body per batch, in seq order. */
  batches: Buffer[];
  contentType: string;
  /** Every planted error and the code it must get. */
  truth: PlantedError[];
  /** Records per batch (including the planted ones). */
  recordCounts: number[];
}

export interface GenerateOptions {
  municipality: string;
  period: string;
  records: number;
  batches?: number;
  errorRate?: number;
  seed?: number;
  /** Plant at least one error of every code the format can carry. */
  everyCode?: boolean;
}

export interface SimulatorSpec extends ComponentSpec {
  source: Source;
  generate(opts: GenerateOptions): GeneratedLoad;
}

export const defineFormat = (s: FormatDefinition): FormatSpec => {
  const check = s.checkBytes ?? ((): void => {});
  // Bytes are checked where they enter: the PUT (inspect), `load push` (split) and parse. The
  // processing path's read gets the very bytes the PUT checked (stored with their sha256), so it
  // does not pay a second pass over 4 MB per batch.
  const { read, inspect, split } = s;
  return {
    ...s,
    read,
    parse(body, contentType) {
      check(body, contentType);
      const records: PartnerRecord[] = [];
      const header = read(body, contentType, (r) => records.push(r));
      return { header, records };
    },
    inspect: inspect
      ? (body, contentType) => { check(body, contentType); return inspect(body, contentType); }
      : (body, contentType) => {
        check(body, contentType);
        let recordCount = 0;
        const header = read(body, contentType, () => { recordCount++; });
        return { header, recordCount };
      },
    ...(split ? { split: (body: Buffer, maxBytes: number) => { check(body, ''); return split(body, maxBytes); } } : {}),
  };
};
// Formats build `split` on it; re-exported here because engine/index.ts re-exports this module.
export { splitXml, type XmlSplitOptions } from '../xml/split.ts';
export { requireUtf8Document, requireNoNul, encodingError, firstInvalidUtf8, firstUndefined1257 } from '../xml/encoding.ts';
export { inspectByOutline, type InspectedBatch, type OutlineOptions } from '../xml/outline.ts';
export const defineTransformer = (s: TransformerSpec): TransformerSpec => s;
export const defineValidator = (s: ValidatorSpec): ValidatorSpec => s;
export const defineOutbound = (s: OutboundSpec): OutboundSpec => s;
export const defineSimulator = (s: SimulatorSpec): SimulatorSpec => s;
export const defineCall = (s: CallSpec): CallSpec => s;
export const definePull = <M extends MessageType>(s: PullSpec<M>): PullSpec<M> => s;
export const defineSoapEndpoint = <M extends MessageType>(s: SoapEndpointSpec<M>): SoapEndpointSpec<M> => s;
export const defineSink = <M extends MessageType>(s: SinkSpec<M>): SinkSpec<M> => s;
export const defineDelivery = <M extends MessageType>(s: DeliverySpec<M>): DeliverySpec<M> => s;
