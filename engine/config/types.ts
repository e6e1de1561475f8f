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
  /** routes/<id>.yaml, for messages. */
  file: string;
}

/** One partner of routes/partners.yaml. Keys are stored as sha256 hashes, never in clear. */
export interface PartnerDef {
  id: string;
  /** The partner's system: sopa, lietis, gvs, vdeavk, vsaa, burvis, pmlp, vzd, lm, portal, eaddress, vsac. */
  system: string;
  /** The municipality a municipal partner reports for (ATVK). */
  municipality?: string;
  /** "sha256:<hex>" of each accepted bearer key. */
  keyHashes: string[];
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

export interface HubConfig {
  dir: string;
  routes: RouteDef[];
  partners: PartnerDef[];
}
