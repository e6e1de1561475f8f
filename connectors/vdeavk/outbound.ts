/**
 * The hub's client of VDEĀVK's UniversalService (GetUniversalServiceDataIS, data set
 * ASSISTANT_OPINIONS, shared/partners/vdeavk.md): one person's opinions for the query API, and the
 * ChangedSince feed for the scheduled pull. Signs each request with the hub's identity, verifies
 * each answer against VDEĀVK's registered certificate, and reads the answer strictly into
 * canonical opinions. Partner faults and transport failures become ConnectorErrors whose
 * httpStatus is what the query API answers (docs/errors.md): 404 no such person, 502 partner
 * fault, bad signature or malformed answer, 503 unavailable (retryable), 504 timeout (retryable).
 */
import { randomUUID } from 'node:crypto';
import {
  ConnectorError, ValidationError, normalizePersonCode, personCodeProblem, soapPayload,
  type AssistantOpinion, type SigningIdentity, type XElement, signedSoapCall, keepAliveAgent, type SoapExchange,
} from '../../engine/index.ts';
import {
  DATA_SET, MAX_PAGE_SIZE, MAX_PURPOSE, MAX_TOKEN, REQUESTER_RE, VDEAVK_NS, VDEAVK_OPERATION, readOpinion,
} from './messages.ts';
import { SchemaViolation, collapse, instantMs, leafText, readList, readSequence, token } from './xsd-values.ts';

export interface VdeavkClientOptions {
  /** The UniversalService endpoint, e.g. `https://…/iis/UniversalService`. */
  baseUrl: string;
  /** The hub's signing key and certificate (the one VDEĀVK has registered). */
  identity: SigningIdentity;
  /** VDEĀVK's certificate: answers signed with anything else are refused. */
  vdeavkCertPem: string;
  /** Deadline for one call. @defaultValue 10000 */
  timeoutMs?: number;
  /** Concurrent connections kept open to VDEĀVK. @defaultValue 32 */
  maxSockets?: number;
  /** Sees every exchange (for the audit log's hashes, and for tests). */
  onExchange?(e: VdeavkExchange): void;
}

export interface VdeavkExchange extends SoapExchange {
  /** `person`: one person's opinions; `changes`: a page of the ChangedSince feed. */
  mode: 'person' | 'changes';
}

export interface VdeavkQuery {
  /** Who asks: a municipality's ATVK code, or LM (the Ministry); sent as RequesterId. */
  requesterId: string;
  /** Why (e.g. the case number); VDEĀVK keeps it in its own audit. At most 500 characters. */
  purpose: string;
  /** Unique per request; a retry of the same request should reuse it. @defaultValue a random UUID */
  requestId?: string;
  /** This call's deadline. @defaultValue the client's timeoutMs */
  timeoutMs?: number;
}

export interface VdeavkChangesQuery extends VdeavkQuery {
  /** Changes strictly after this instant: ISO 8601 with an offset, e.g. `2026-01-05T08:00:00.000Z`. */
  since: string;
  /** The NextCursor of the previous page of the same `since`. */
  cursor?: string;
  /** 1 to 1000. @defaultValue VDEĀVK's own, 500 */
  pageSize?: number;
}

export interface VdeavkPersonAnswer {
  personCode: string;
  /** In ChangedAt order, revoked ones included. */
  opinions: AssistantOpinion[];
}

export interface VdeavkChangesPage {
  /** In ChangedAt order. */
  opinions: AssistantOpinion[];
  /** Present when more pages follow. */
  nextCursor?: string;
}

export interface VdeavkClient {
  /** One person's opinions; HUB_ERR_PARTNER_NOT_FOUND (404) when VDEĀVK has none. */
  opinionsOf(personCode: string, query: VdeavkQuery): Promise<VdeavkPersonAnswer>;
  /** One page of the opinions created, changed or revoked after `since`. */
  changedSince(query: VdeavkChangesQuery): Promise<VdeavkChangesPage>;
  close(): void;
}

const OP = VDEAVK_OPERATION.name;
const details = (extra: Record<string, unknown> = {}) => ({ connector: 'vdeavk', operation: OP, ...extra });
const invalidQuery = (field: string, message: string): ValidationError => new ValidationError('HUB_ERR_QUERY_INVALID', message, 400, { field });
const malformed = (why: string, partnerField?: string): ConnectorError =>
  new ConnectorError('HUB_ERR_PARTNER_RESPONSE', `vdeavk ${OP}: unexpected answer: ${why}`, {
    retryable: false, httpStatus: 502, details: details(partnerField ? { partnerField } : {}),
  });
// Characters XML 1.0 cannot carry: refused here rather than failing while the request is built.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** RequesterId, Purpose and RequestId as the XSD wants them, or HUB_ERR_QUERY_INVALID naming the field. */
function commonFields(q: VdeavkQuery): [string, string][] {
  if (typeof q.requesterId !== 'string' || !REQUESTER_RE.test(q.requesterId)) throw invalidQuery('requesterId', 'requesterId must be a municipality\'s ATVK code (7 digits) or LM');
  const purpose = typeof q.purpose === 'string' ? collapse(q.purpose) : '';
  if (!purpose) throw invalidQuery('purpose', 'purpose is required: VDEĀVK records why opinions are read');
  if (purpose.length > MAX_PURPOSE) throw invalidQuery('purpose', `purpose is ${purpose.length} characters long; VDEĀVK takes at most ${MAX_PURPOSE}`);
  if (CONTROL.test(purpose)) throw invalidQuery('purpose', 'purpose must not contain control characters');
  return [['RequestId', tokenField('requestId', q.requestId ?? randomUUID())], ['RequesterId', q.requesterId], ['Purpose', purpose]];
}

/** An xs:token of at most 100 characters, sent exactly as given so that a retry sends the same bytes. */
function tokenField(field: string, v: unknown): string {
  if (typeof v !== 'string' || !v || v.length > MAX_TOKEN || collapse(v) !== v || CONTROL.test(v)) {
    throw invalidQuery(field, `${field} must be 1 to ${MAX_TOKEN} characters without leading, trailing or repeated whitespace`);
  }
  return v;
}

export function createVdeavkClient(opts: VdeavkClientOptions): VdeavkClient {
  const agent = keepAliveAgent(opts.baseUrl, opts.maxSockets);
  const timeoutMs = opts.timeoutMs ?? 10_000;

  /** Sends one signed request and reads the verified answer with `read`, inside the exchange that onExchange sees. */
  function exchange<T>(mode: VdeavkExchange['mode'], q: VdeavkQuery, fields: [string, string | number | undefined][], read: (payload: XElement) => T): Promise<T> {
    return signedSoapCall<VdeavkExchange, T>({ mode }, soapPayload(VDEAVK_NS, VDEAVK_OPERATION.request, fields), {
      url: opts.baseUrl, identity: opts.identity, post: { timeoutMs: q.timeoutMs ?? timeoutMs, soapAction: VDEAVK_OPERATION.soapAction, agent, partner: 'vdeavk' },
      answer: { partner: 'vdeavk', operation: OP, certPem: opts.vdeavkCertPem, ns: VDEAVK_NS, response: VDEAVK_OPERATION.response }, onExchange: opts.onExchange,
    }, read);
  }

  return {
    async opinionsOf(personCode, q) {
      const code = typeof personCode === 'string' ? normalizePersonCode(personCode) : null;
      const problem = typeof personCode === 'string' ? personCodeProblem(personCode) : 'personCode must be a string';
      if (!code || problem) throw invalidQuery('personCode', `personCode: ${problem}`);
      const opinions = await exchange('person', q, [...commonFields(q), ['DataSet', DATA_SET], ['PersonCode', code]], (payload) => {
        const answer = readAnswer(payload);
        if (answer.nextCursor !== undefined) throw malformed('NextCursor in the answer to a PersonCode request', 'NextCursor');
        answer.opinions.forEach((o, i) => {
          // Never pass on another person's data as this person's.
          const path = `Opinions/Opinion[${i + 1}]/PersonCode`;
          if (o.personCode !== code) throw malformed(`${path}: an opinion on another person than the one asked about`, path);
        });
        return answer.opinions;
      });
      return { personCode: code, opinions };
    },

    async changedSince(q) {
      const sinceMs = typeof q.since === 'string' ? instantMs(q.since) : null;
      if (sinceMs === null) throw invalidQuery('since', 'since must be a date and time with an offset, e.g. 2026-01-05T08:00:00.000Z');
      const cursor = q.cursor === undefined ? undefined : tokenField('cursor', q.cursor);
      if (q.pageSize !== undefined && !(Number.isInteger(q.pageSize) && q.pageSize >= 1 && q.pageSize <= MAX_PAGE_SIZE)) {
        throw invalidQuery('pageSize', `pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
      }
      const fields: [string, string | number | undefined][] = [
        ...commonFields(q), ['DataSet', DATA_SET], ['ChangedSince', collapse(q.since)], ['Cursor', cursor], ['PageSize', q.pageSize],
      ];
      return exchange('changes', q, fields, (payload) => {
        const page = readAnswer(payload);
        checkFeedOrder(page.opinions, sinceMs);
        // The same cursor again would make the caller ask for the same page for ever.
        if (cursor !== undefined && page.nextCursor === cursor) throw malformed('NextCursor is the Cursor of the request', 'NextCursor');
        return page;
      });
    },

    close() { agent.destroy(); },
  };
}

/**
 * The feed's promise that a pull's checkpoint relies on: nothing from before `since`, and ChangedAt
 * never decreasing. Compared at millisecond precision, as the canonical changedAt is cut to it.
 */
function checkFeedOrder(opinions: AssistantOpinion[], sinceMs: number): void {
  let prev = Math.floor(sinceMs);
  opinions.forEach((o, i) => {
    const ms = Date.parse(o.changedAt);
    if (ms < prev) {
      const path = `Opinions/Opinion[${i + 1}]/ChangedAt`;
      throw malformed(`${path}: ${o.changedAt} is ${i === 0 ? 'before ChangedSince' : 'earlier than the opinion before it; the feed must be in ChangedAt order'}`, path);
    }
    prev = ms;
  });
}

/** The verified response payload; faults, bad signatures and odd answers become ConnectorErrors. */

/** Opinions and NextCursor of a GetUniversalServiceDataISResponse, read as the XSD says. */
function readAnswer(payload: XElement): VdeavkChangesPage {
  try {
    const f = readSequence(payload, VDEAVK_NS, '', [{ name: 'Opinions' }, { name: 'NextCursor', min: 0 }]);
    const list = f.get('Opinions')!;
    const items = readList(list, VDEAVK_NS, 'Opinions', 'Opinion', 0);
    const opinions = items.map((el, i) => readOpinion(el, `Opinions/Opinion[${i + 1}]`));
    const next = f.get('NextCursor');
    return { opinions, ...(next ? { nextCursor: token(leafText(next, 'NextCursor'), 'NextCursor', MAX_TOKEN) } : {}) };
  } catch (e) {
    if (e instanceof SchemaViolation) throw malformed(e.message, e.path);
    throw e;
  }
}
