/** A route file (routes/<id>.yaml) after validation; see schemas/route.schema.json. */
export type Trigger =
  | { bulkLoad: { source: string } }
  | { query: { service: string } }
  | { soap: { service: string; operation: string } }
  | { schedule: { cron: string; pull: string; pageSize?: number; since?: string } }
  | { http: { path: string } };

export type Step =
  | { transform: string }
  | { validate: string }
  | { to: string; options?: Record<string, unknown> }
  | { call: string; timeout?: string; options?: Record<string, unknown> }
  | { deliver: string | string[]; timeout?: string; options?: Record<string, unknown> };

export interface RetryPolicy {
  attempts: number;
  backoff: 'exponential' | 'fixed';
  /** Milliseconds (route files may write "2s", "500ms", "1m"). */
  delayMs: number;
  /** Ceiling for one backoff, milliseconds. */
  maxDelayMs: number;
}

export interface RouteDef {
  id: string;
  description: string;
  from: Trigger;
  access: { partners: string[] };
  steps: Step[];
  onError: { retry: RetryPolicy; deadLetter: boolean };
  /** The route's own examples (`tests:`), which `spolis-hub routes test` runs; empty when it has none. */
  tests: RouteTest[];
  /** routes/<id>.yaml, for messages. */
  file: string;
}

/**
 * One example of a route file's `tests:` (schemas/route.schema.json): an input run through the
 * route's own steps without the store and without partners, and what must come out.
 */
export interface RouteTest {
  name: string;
  input: RouteTestInput;
  expect: RouteTestExpect;
  /** Where the test starts in its file, and where each part of it is ("expect.rejections[2]" → line), for failure messages. */
  line: number;
  lines: Record<string, number>;
}

export interface RouteTestInput {
  /** A fixture file, relative to the routes directory (tests/<route-id>/<name>.<ext>). */
  file?: string;
  /** The fixture written inline. */
  text?: string;
  /** Query and pull routes: the partner answers with this SOAP fault. */
  fault?: { errorCode: string; message?: string; faultcode?: 'Client' | 'Server' };
  /** Bulk loads: the batch's content type; default the format's first. */
  contentType?: string;
  /** Bulk loads: when the load was created (ISO); default the batch header's creation time. */
  createdAt?: string;
  /** Query routes: the question, as `POST /api/v1/query/{service}` takes it, and who asks (ATVK). */
  request?: { personCode: string; purpose: string; periodFrom?: string; periodTo?: string; requesterId?: string };
}

/** A record (or item) that must come out: picked by natural key, by index, or by its fields. */
export interface RecordExpectation {
  key?: string;
  index?: number;
  /** These fields must have these values (objects compared by their given fields, lists item by item). */
  fields?: Record<string, unknown>;
  /** The whole record, exactly. */
  equals?: Record<string, unknown>;
}

export interface RejectionExpectation {
  index: number;
  /** A rejection code of classifiers.md (PERSON_CODE, DATE, …). */
  code: string;
  /** The field as the partner spells it; any field when left out. */
  field?: string;
  /** The rejected record's natural key. */
  key?: string;
}

export interface DeliveryExpectation {
  key?: string;
  index?: number;
  /** The partners.yaml id that receives the item. */
  partner?: string;
  component?: string;
  /** No receiver is configured for the item: it is recorded undeliverable. */
  undeliverable?: boolean;
}

export interface RouteTestExpect {
  accepted?: number;
  rejected?: number;
  records?: RecordExpectation[];
  /** Every rejection the batch must get, no more and no fewer. */
  rejections?: RejectionExpectation[];
  deliveries?: DeliveryExpectation[];
  /** Query routes: the canonical answer. */
  answer?: { fields?: Record<string, unknown>; equals?: Record<string, unknown> };
  /** The input is refused as a whole: the error's code, a part of its message, its HTTP status. */
  error?: { code: string; message?: string; status?: number };
  /** Pull routes: the page's next cursor; null for the last page. */
  nextCursor?: string | null;
}

/** One partner of routes/partners.yaml. Keys are stored as sha256 hashes, never in clear. */
export interface PartnerDef {
  id: string;
  /** The partner's system: sopa, lietis, gvs, vdeavk, vsaa, burvis, pmlp, vzd, lm, portal, eaddress, vsac. */
  system: string;
  /** The municipality a municipal partner reports for (ATVK). */
  municipality?: string;
  /** Each accepted bearer key: "sha256:<hex>", or with an expiry while a key is being rotated. */
  keyHashes: KeyHash[];
  description?: string;
  /**
   * A partner the hub calls: a state agency's service URL, or a municipal system's open-applications
   * service (docs/partners/sopa-applications.md, lietis-applications.md).
   */
  endpoint?: string;
  /** The partner's certificate: a PEM file (relative to the routes directory) or the PEM itself. */
  certificate?: string;
  /**
   * A municipal partner's notification receiver (SOPA webhook, LIETIS SOAP). `token` is the bearer
   * token SOPA issued to the hub, sent with its notifications and with its calls to `endpoint`.
   */
  notify?: { endpoint: string; token?: string };
  /** Shared by every route that calls this partner (DESIGN.md §3). */
  policies?: {
    rateLimit?: { perSecond: number; maxWait?: string };
    circuitBreaker?: { failures: number; openSeconds: number };
    timeout?: string;
  };
  /** The state portal: how long one signed assertion may live (eservices/common/portal-caller.ts). */
  assertion?: { maxLifetime: string };
}

/**
 * One accepted bearer key, stored as "sha256:<hex>". During a rotation the old key carries
 * `expires` (ISO 8601 date-time): both keys work until then, the old one only until then.
 */
export type KeyHash = string | { hash: string; expires: string };

export type StaffRole = 'operator' | 'auditor';

/** One member of staff of routes/operators.yaml: an operator (console, replay) or an auditor (audit read). */
export interface OperatorDef {
  id: string;
  role: StaffRole;
  description?: string;
  keyHashes: KeyHash[];
}

export interface HubConfig {
  dir: string;
  routes: RouteDef[];
  partners: PartnerDef[];
  /** routes/operators.yaml's staff; empty when the file is absent. */
  operators: OperatorDef[];
}
