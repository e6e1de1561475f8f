/**
 * The hub's published JSON contract: an OpenAPI 3.1 document assembled from the routes actually
 * registered. Each route declares its contract in fastify's inert `config.contract` (see
 * `RouteContract`); `collectRoutes` records every route as it is added (installed by createServer
 * before any route exists), and `GET /openapi.json` turns the records into the document. A route
 * without a contract is left out, and test/http/openapi.test.ts names it: the document cannot
 * silently miss an endpoint, and since the schemas are the objects the validators and answers are
 * checked against, it cannot silently drift either.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1), as a plain object. */
export type JsonSchema = Record<string, unknown>;

/**
 * Who may call: each entry is one accepted way. `partner`: a partner's key (Authorization: Bearer);
 * `portal`: the state portal's partner key with its signed `Portal-Assertion` of the person;
 * `operator`, `auditor`: the staff keys of those roles; `none`: no key.
 */
export type ContractAuth = 'none' | 'partner' | 'portal' | 'operator' | 'auditor';

export interface ContractParam {
  schema: JsonSchema;
  description?: string;
  /** Query parameters and headers only: path parameters are always required. */
  required?: boolean;
}

export interface ContractBody {
  description?: string;
  /** Default application/json; a list when the same schema is sent under several types. */
  contentType?: string | string[];
  schema: JsonSchema;
  /** Default true. */
  required?: boolean;
}

export interface ContractResponse {
  description: string;
  /** Default application/json; a list when the route answers one of several (a `format` parameter). */
  contentType?: string | string[];
  /** Absent: an answer without a body. */
  schema?: JsonSchema;
  /** Instead of contentType and schema: one schema per media type (null: not described). */
  content?: Record<string, JsonSchema | null>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface RouteContract {
  /** Unique in the hub, camelCase. */
  operationId: string;
  /** The document's group: loads, queries, ministry, coparticipation, eservices-…, ops, audit, health. */
  tag: string;
  summary: string;
  description?: string;
  auth: ContractAuth[];
  /** Path parameters by name (fastify `:id` is `id`). */
  params?: Record<string, ContractParam>;
  query?: Record<string, ContractParam>;
  headers?: Record<string, ContractParam>;
  body?: ContractBody;
  /** Successful answers by status. */
  responses: Record<number, ContractResponse>;
  /** Statuses answered with the error shape `{error: {code, message, field?}}`. */
  errors?: number[];
}

/** One registered route, with its contract if it declared one. */
export interface RouteRecord {
  method: string;
  /** As fastify has it: `/api/v1/loads/:id`. */
  url: string;
  contract?: RouteContract;
}

const CATALOG = 'spolisRouteCatalog';

/**
 * Records every route `app` and its child scopes register from now on. Call it before the first
 * route: fastify runs `onRoute` as a route is added, so routes added earlier are not seen.
 */
export function collectRoutes(app: FastifyInstance): void {
  const records: RouteRecord[] = [];
  // A getter: decorators are inherited by child scopes, so every scope reads the one list.
  app.decorate(CATALOG, { getter: () => records });
  app.addHook('onRoute', (opts: RouteOptions) => {
    const contract = (opts.config as { contract?: RouteContract } | undefined)?.contract;
    for (const method of [opts.method].flat()) {
      // fastify adds a HEAD twin to every GET: the GET's contract covers it.
      if (method === 'HEAD') continue;
      records.push({ method, url: opts.url, ...(contract ? { contract } : {}) });
    }
  });
}

/** The routes registered so far on `app` (or any of its scopes), once collectRoutes ran on the root. */
export function registeredRoutes(app: FastifyInstance): RouteRecord[] {
  const records = (app as unknown as Record<string, RouteRecord[] | undefined>)[CATALOG];
  if (!records) throw new Error('collectRoutes() was not called on this server before its routes were added');
  return records;
}

/** The error shape of every failure (engine/http/server.ts). */
export const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^HUB_ERR_[A-Z0-9_]+$', description: 'Stable code; docs/errors.md lists each, with what to do.' },
        message: { type: 'string', description: 'What is wrong and what would be valid, for a developer to act on.' },
        field: { type: 'string', description: 'The field, parameter or header at fault, when one is.' },
        requestId: { type: 'string', description: 'HUB_ERR_INTERNAL only: the id to find in the hub log.' },
      },
    },
  },
};

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is malformed; `field` names what is wrong.',
  401: 'No key, an unknown or expired key, or (portal) a missing or invalid Portal-Assertion.',
  403: 'The key is valid, but this caller may not do this (deny by default).',
  404: 'Not found, or not this caller\'s to see.',
  405: 'The method is not allowed on this path.',
  408: 'The client took too long to send the request.',
  409: 'Conflicts with what the hub already holds.',
  413: 'The body is larger than this endpoint reads.',
  415: 'The Content-Type is not one this endpoint reads.',
  422: 'Well-formed, but not acceptable (e.g. a batch of another municipality).',
  429: 'Too many requests of this partner in flight; retry after the Retry-After seconds.',
  500: 'An internal error; the hub log has the request id.',
  502: 'The partner behind the hub answered with a fault.',
  503: 'Not available now (partner circuit open, rate limit, audit log or store down); retry after Retry-After.',
  504: 'The partner behind the hub did not answer in time.',
};

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

const SECURITY_SCHEMES = {
  partnerKey: { type: 'http', scheme: 'bearer', description: 'A partner\'s key from partners.yaml: `Authorization: Bearer <key>`.' },
  portalAssertion: {
    type: 'apiKey', in: 'header', name: 'Portal-Assertion',
    description: 'The state portal\'s signed assertion of the person it acts for (a compact JWS, RS256, bound to method, path and body; docs/partners/portal.md), sent together with the portal\'s partner key.',
  },
  operatorKey: { type: 'http', scheme: 'bearer', description: 'An operator\'s key (operators.yaml, role operator).' },
  auditorKey: { type: 'http', scheme: 'bearer', description: 'An auditor\'s key (operators.yaml, role auditor).' },
} as const;

const SECURITY: Record<ContractAuth, Record<string, string[]>> = {
  none: {},
  partner: { partnerKey: [] },
  portal: { partnerKey: [], portalAssertion: [] },
  operator: { operatorKey: [] },
  auditor: { auditorKey: [] },
};

/** `/api/v1/loads/:id` → `/api/v1/loads/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** A components/schemas name for a schema's `$id`: `canonical/decision` → `canonical.decision`. */
const componentName = (id: string): string => id.replace(/[^A-Za-z0-9._-]+/g, '.');

/**
 * Copies `schema` for the document: a sub-schema with an `$id` moves to components/schemas (once)
 * and is referred to there; a `$ref` to a known `$id` is rewritten the same way; draft-07's
 * `$schema` is dropped (OpenAPI 3.1 schemas are 2020-12).
 */
function hoist(schema: unknown, components: Record<string, JsonSchema>, known: Map<string, unknown>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => hoist(s, components, known));
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string' && !s.$ref.startsWith('#')) {
    const target = known.get(s.$ref);
    if (!target) throw new Error(`openapi: $ref "${s.$ref}" names no schema the contracts hold`);
    return hoist(target, components, known);
  }
  if (typeof s.$id === 'string') {
    const name = componentName(s.$id);
    if (!(name in components)) {
      components[name] = {}; // taken before the walk: a schema referring to itself ends here
      const { $id: _id, $schema: _s, ...rest } = s;
      components[name] = hoist(rest, components, known) as JsonSchema;
    }
    return { $ref: `#/components/schemas/${name}` };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$schema') continue;
    out[k] = k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions'
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([p, ps]) => [p, hoist(ps, components, known)]))
      : typeof v === 'object' ? hoist(v, components, known) : v;
  }
  return out;
}

/** Every sub-schema with an `$id`, by id: what `$ref`s between the contracts' schemas resolve to. */
function idsOf(schema: unknown, into: Map<string, unknown>): void {
  if (typeof schema !== 'object' || schema === null) return;
  if (Array.isArray(schema)) { for (const s of schema) idsOf(s, into); return; }
  const s = schema as Record<string, unknown>;
  if (typeof s.$id === 'string') into.set(s.$id, s);
  for (const v of Object.values(s)) idsOf(v, into);
}

const media = (contentType: string | string[] | undefined, schema: unknown): Record<string, { schema?: unknown }> =>
  Object.fromEntries([contentType ?? 'application/json'].flat().map((t) => [t, schema === undefined ? {} : { schema }]));

/**
 * The document for `routes`. `extraSchemas` (each with an `$id`) go into components/schemas
 * whether or not an operation uses them, such as the canonical decision kinds a batch's records
 * are checked against; contracts may `$ref` them by id.
 */
export function buildOpenApi(routes: RouteRecord[], info: OpenApiInfo, extraSchemas: JsonSchema[] = []): Record<string, unknown> {
  const components: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const known = new Map<string, unknown>();
  for (const s of extraSchemas) idsOf(s, known);
  for (const r of routes) if (r.contract) idsOf(r.contract, known);
  const h = (s: unknown): unknown => hoist(s, components, known);
  for (const s of extraSchemas) h(s);

  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  const ids = new Map<string, string>();
  const sorted = [...routes].filter((r) => r.contract).sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  for (const { method, url, contract: c } of sorted as Required<RouteRecord>[]) {
    const where = `${method} ${url}`;
    const clash = ids.get(c.operationId);
    if (clash && clash !== where) throw new Error(`openapi: operationId ${c.operationId} is declared by both ${clash} and ${where}`);
    ids.set(c.operationId, where);
    tags.add(c.tag);
    const pathNames = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
    const missing = pathNames.filter((p) => !c.params?.[p]);
    if (missing.length) throw new Error(`openapi: ${where} declares no parameter ${missing.join(', ')}`);
    const parameters = [
      ...pathNames.map((name) => ({ name, in: 'path', required: true, ...(c.params![name].description ? { description: c.params![name].description } : {}), schema: h(c.params![name].schema) })),
      ...Object.entries(c.query ?? {}).map(([name, p]) => ({ name, in: 'query', required: p.required ?? false, ...(p.description ? { description: p.description } : {}), schema: h(p.schema) })),
      ...Object.entries(c.headers ?? {}).map(([name, p]) => ({ name, in: 'header', required: p.required ?? false, ...(p.description ? { description: p.description } : {}), schema: h(p.schema) })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(c.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([n, x]) => [n, { description: x.description, schema: h(x.schema) }])) } : {}),
        ...(r.content ? { content: Object.fromEntries(Object.entries(r.content).map(([t, x]) => [t, x ? { schema: h(x) } : {}])) }
          : r.schema !== undefined || r.contentType ? { content: media(r.contentType, r.schema === undefined ? undefined : h(r.schema)) } : {}),
      };
    }
    for (const status of c.errors ?? []) responses[String(status)] ??= { $ref: `#/components/responses/E${status}` };
    const security = c.auth.map((a) => SECURITY[a]);
    (paths[openApiPath(url)] ??= {})[method.toLowerCase()] = {
      operationId: c.operationId,
      tags: [c.tag],
      summary: c.summary,
      ...(c.description ? { description: c.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(c.body ? { requestBody: { required: c.body.required ?? true, ...(c.body.description ? { description: c.body.description } : {}), content: media(c.body.contentType, h(c.body.schema)) } } : {}),
      responses,
      security,
    };
  }
  const statuses = [...new Set(sorted.flatMap((r) => r.contract!.errors ?? []))].sort();
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      responses: Object.fromEntries(statuses.map((s) => [`E${s}`, {
        description: ERROR_TEXT[s] ?? `Error ${s}.`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      }])),
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

export const OPENAPI_PATH = '/openapi.json';

const OPENAPI_CONTRACT: RouteContract = {
  operationId: 'getOpenApi',
  tag: 'contract',
  summary: 'This document: the hub\'s JSON API as OpenAPI 3.1',
  description: 'Generated from the routes this hub process registered and the schemas they validate with. Public: it holds no personal data.',
  auth: ['none'],
  responses: { 200: { description: 'The OpenAPI 3.1 document.', schema: { type: 'object', required: ['openapi', 'info', 'paths'] } } },
};

/**
 * Serves `GET /openapi.json`. The document is made at the first request, when every route of the
 * process is registered (fastify takes no routes once it listens), and then kept.
 */
export function registerOpenApi(app: FastifyInstance, info: OpenApiInfo, extraSchemas: JsonSchema[] = []): void {
  let text: string | undefined;
  app.get(OPENAPI_PATH, { config: { contract: OPENAPI_CONTRACT } }, async (_req, reply) => {
    text ??= JSON.stringify(buildOpenApi(registeredRoutes(app), info, extraSchemas));
    return reply.type('application/json; charset=utf-8').send(text);
  });
}

/**
 * Shorthands for the contracts' schemas. `obj(required, optional)`: an object whose first
 * properties are required and the second's are not; other properties are allowed unless `closed`.
 */
export const S = {
  str: (more: JsonSchema = {}): JsonSchema => ({ type: 'string', ...more }),
  int: (more: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...more }),
  num: (more: JsonSchema = {}): JsonSchema => ({ type: 'number', ...more }),
  bool: (more: JsonSchema = {}): JsonSchema => ({ type: 'boolean', ...more }),
  oneOf: (values: readonly (string | number)[], more: JsonSchema = {}): JsonSchema => ({ enum: [...values], ...more }),
  arr: (items: JsonSchema, more: JsonSchema = {}): JsonSchema => ({ type: 'array', items, ...more }),
  obj: (required: Record<string, JsonSchema>, optional: Record<string, JsonSchema> = {}, more: JsonSchema & { closed?: boolean } = {}): JsonSchema => {
    const { closed, ...rest } = more;
    return {
      type: 'object',
      ...(Object.keys(required).length ? { required: Object.keys(required) } : {}),
      properties: { ...required, ...optional },
      ...(closed ? { additionalProperties: false } : {}),
      ...rest,
    };
  },
  /** A map of names to `values`. */
  map: (values: JsonSchema, more: JsonSchema = {}): JsonSchema => ({ type: 'object', additionalProperties: values, ...more }),
  nullable: (s: JsonSchema): JsonSchema => (typeof s.type === 'string' ? { ...s, type: [s.type, 'null'] } : { anyOf: [s, { type: 'null' }] }),
  /** Figures that are euro: a decimal string with two places. */
  eur: (more: JsonSchema = {}): JsonSchema => ({ type: 'string', pattern: '^-?\\d+\\.\\d{2}$', ...more }),
  atvk: (more: JsonSchema = {}): JsonSchema => ({ type: 'string', pattern: '^\\d{7}$', description: 'ATVK code of a municipality (7 digits).', ...more }),
  month: (more: JsonSchema = {}): JsonSchema => ({ type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'A month, YYYY-MM.', ...more }),
  date: (more: JsonSchema = {}): JsonSchema => ({ type: 'string', format: 'date', ...more }),
  instant: (more: JsonSchema = {}): JsonSchema => ({ type: 'string', format: 'date-time', ...more }),
  personCode: (more: JsonSchema = {}): JsonSchema => ({ type: 'string', pattern: '^\\d{6}-?\\d{5}$', description: 'A Latvian personal code, 11 digits, with or without the hyphen.', ...more }),
  regNo: (more: JsonSchema = {}): JsonSchema => ({ type: 'string', pattern: '^(4\\d{10}|9\\d{10})$', description: 'Registration code of a legal person (4…) or an institution (9…), 11 digits.', ...more }),
};
