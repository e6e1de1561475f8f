/**
 * The hub's client of PMLP's PersonRegister (docs/partners/pmlp.md): one person for the query API
 * (GetPerson), and the change feed of deaths and declared residences for the scheduled pull
 * (GetPersonChanges). Signs each request with the hub's identity, verifies each answer against
 * PMLP's registered certificate, and reads the answer strictly into the canonical RegisterPerson
 * and RegisterChange. Partner faults and transport failures become ConnectorErrors whose
 * httpStatus is what the query API answers (docs/errors.md): 404 no such person, 502 partner
 * fault, bad signature or malformed answer, 503 unavailable or rate limited (retryable), 504
 * timeout (retryable).
 */
import { randomUUID } from 'node:crypto';
import {
  ValidationError, keepAliveAgent, normalizePersonCode, personCodeProblem, signedSoapCall, soapPayload, unexpectedAnswer,
  type RegisterChange, type RegisterPerson, type SigningIdentity, type SoapExchange, type XElement, type XmlFields,
} from '../../engine/index.ts';
import {
  DEFAULT_PAGE_SIZE, MAX_CURSOR, MAX_PAGE_SIZE, MAX_PURPOSE, PMLP_NS, PMLP_OPERATIONS, PmlpFieldError, REQUESTER_RE, REQUESTER_RULE, REQUEST_ID_RE,
  REQUEST_ID_RULE, collapse, instantMs, leaves, readChange, readElements, readList, readPerson, tokenValue, type PmlpOperationName,
} from './messages.ts';

export interface PmlpClientOptions {
  /** The PersonRegister endpoint, e.g. `https://…/fpr/PersonRegister`. */
  baseUrl: string;
  /** The hub's signing key and certificate (the one PMLP has registered). */
  identity: SigningIdentity;
  /** PMLP's certificate: answers signed with anything else are refused. */
  pmlpCertPem: string;
  /** Deadline for one call; PMLP answers within 5 seconds. @defaultValue 10000 */
  timeoutMs?: number;
  /** Concurrent connections kept open to PMLP. @defaultValue 32 */
  maxSockets?: number;
  /** Sees every exchange (for the audit log's hashes, and for tests). */
  onExchange?(e: PmlpExchange): void;
}

export interface PmlpExchange extends SoapExchange {
  operation: PmlpOperationName;
}

export interface PmlpQuery {
  /** Who asks: a municipality's ATVK code, or LM (the Ministry); sent as RequesterId. */
  requesterId: string;
  /** The case the question belongs to; PMLP keeps it in its own audit. At most 500 characters. */
  purpose: string;
  /** Unique per request (1–64 of `A-Za-z0-9._:-`); a retry of the same request should reuse it. @defaultValue a random UUID */
  requestId?: string;
  /** This call's deadline. @defaultValue the client's timeoutMs */
  timeoutMs?: number;
}

export interface PmlpChangesQuery extends PmlpQuery {
  /** Changes recorded after this instant: ISO 8601 with an offset, e.g. `2026-01-05T08:00:00.000Z`. */
  since: string;
  /** The NextCursor of the previous page of the same `since`. */
  cursor?: string;
  /** 1 to 1000. @defaultValue PMLP's own, 500 */
  pageSize?: number;
}

export interface PmlpChangesPage {
  /** In RecordedAt order. */
  changes: RegisterChange[];
  /** Present when more pages follow. */
  nextCursor?: string;
}

export interface PmlpClient {
  /** One person by current or former code; HUB_ERR_PARTNER_NOT_FOUND (404) when the register holds no such person. */
  personOf(personCode: string, query: PmlpQuery): Promise<RegisterPerson>;
  /** One page of the deaths and declared residences recorded after `since`. */
  changedSince(query: PmlpChangesQuery): Promise<PmlpChangesPage>;
  close(): void;
}

const invalidQuery = (field: string, message: string): ValidationError => new ValidationError('HUB_ERR_QUERY_INVALID', message, 400, { field });
// Characters XML 1.0 cannot carry: refused here rather than failing while the request is built.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** RequestId, RequesterId and Purpose as the XSD wants them, or HUB_ERR_QUERY_INVALID naming the field. */
function commonFields(q: PmlpQuery): [string, string][] {
  const requestId = q.requestId ?? randomUUID();
  if (typeof requestId !== 'string' || !REQUEST_ID_RE.test(requestId)) throw invalidQuery('requestId', `requestId must be ${REQUEST_ID_RULE}`);
  if (typeof q.requesterId !== 'string' || !REQUESTER_RE.test(q.requesterId)) throw invalidQuery('requesterId', `requesterId must be ${REQUESTER_RULE}`);
  const purpose = typeof q.purpose === 'string' ? collapse(q.purpose) : '';
  if (!purpose) throw invalidQuery('purpose', 'purpose is required: PMLP records the case each question belongs to');
  if (purpose.length > MAX_PURPOSE) throw invalidQuery('purpose', `purpose is ${purpose.length} characters long; PMLP takes at most ${MAX_PURPOSE}`);
  if (CONTROL.test(purpose)) throw invalidQuery('purpose', 'purpose must not contain control characters');
  return [['RequestId', requestId], ['RequesterId', q.requesterId], ['Purpose', purpose]];
}

export function createPmlpClient(opts: PmlpClientOptions): PmlpClient {
  const agent = keepAliveAgent(opts.baseUrl, opts.maxSockets);
  const timeoutMs = opts.timeoutMs ?? 10_000;

  /** Sends one signed request and reads the verified answer with `read`, inside the exchange onExchange sees. */
  function exchange<T>(operation: PmlpOperationName, q: PmlpQuery, fields: XmlFields, read: (payload: XElement) => T): Promise<T> {
    const op = PMLP_OPERATIONS[operation];
    return signedSoapCall<PmlpExchange, T>({ operation }, soapPayload(PMLP_NS, op.request, fields), {
      url: opts.baseUrl, identity: opts.identity, post: { timeoutMs: q.timeoutMs ?? timeoutMs, soapAction: op.soapAction, agent, partner: 'pmlp' },
      answer: { partner: 'pmlp', operation, certPem: opts.pmlpCertPem, ns: PMLP_NS, response: op.response }, onExchange: opts.onExchange,
    }, (payload) => {
      try {
        return read(payload);
      } catch (e) {
        if (e instanceof PmlpFieldError) throw unexpectedAnswer({ partner: 'pmlp', operation }, e.problem, e.field);
        throw e;
      }
    });
  }

  return {
    async personOf(personCode, q) {
      const code = typeof personCode === 'string' ? normalizePersonCode(personCode) : null;
      const problem = typeof personCode === 'string' ? personCodeProblem(personCode) : 'personCode must be a string';
      if (!code || problem) throw invalidQuery('personCode', `personCode: ${problem}`);
      const fields: XmlFields = [...commonFields(q), ['PersonCode', code]];
      return exchange('GetPerson', q, fields, (payload) => {
        const person = readPerson(readElements(payload, '', ['Person']).get('Person')!);
        // Asked by a former code, PMLP answers with the current one; never pass on another person's data.
        if (person.personCode !== code && person.formerPersonCode !== code) {
          throw new PmlpFieldError('Person/PersonCode', `the answer is about another person than the one asked about (neither PersonCode nor FormerPersonCode is ${code})`);
        }
        return person;
      });
    },

    async changedSince(q) {
      const sinceMs = typeof q.since === 'string' ? instantMs(q.since) : null;
      if (sinceMs === null) throw invalidQuery('since', 'since must be a date and time with an offset, e.g. 2026-01-05T08:00:00.000Z');
      let cursor: string | undefined;
      if (q.cursor !== undefined) {
        // Sent exactly as PMLP gave it, so it must already be what the XSD's token allows.
        if (typeof q.cursor !== 'string' || CONTROL.test(q.cursor) || collapse(q.cursor) !== q.cursor || !q.cursor || q.cursor.length > MAX_CURSOR) {
          throw invalidQuery('cursor', `cursor must be the NextCursor of the previous page: 1 to ${MAX_CURSOR} characters without leading, trailing or repeated whitespace`);
        }
        cursor = q.cursor;
      }
      if (q.pageSize !== undefined && !(Number.isInteger(q.pageSize) && q.pageSize >= 1 && q.pageSize <= MAX_PAGE_SIZE)) {
        throw invalidQuery('pageSize', `pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
      }
      const fields: XmlFields = [...commonFields(q), ['ChangedSince', collapse(q.since)], ['Cursor', cursor], ['PageSize', q.pageSize]];
      return exchange('GetPersonChanges', q, fields, (payload) => {
        const page = readPage(payload);
        const asked = q.pageSize ?? DEFAULT_PAGE_SIZE;
        if (page.changes.length > asked) throw new PmlpFieldError('Changes', `holds ${page.changes.length} changes; the request asked for at most ${asked}`);
        checkFeedOrder(page.changes, sinceMs);
        // The same cursor again would make the caller ask for the same page for ever.
        if (cursor !== undefined && page.nextCursor === cursor) throw new PmlpFieldError('NextCursor', 'is the Cursor of the request; the feed would never end');
        return page;
      });
    },

    close() { agent.destroy(); },
  };
}

/** Changes and NextCursor of a GetPersonChangesResponse, read as the XSD says. */
function readPage(payload: XElement): PmlpChangesPage {
  const { found, text } = leaves(payload, '', ['Changes', 'NextCursor?']);
  const next = text('NextCursor');
  return {
    changes: readList(found.get('Changes')!, 'Changes', 'Change').map((el, i) => readChange(el, `Changes/Change[${i + 1}]`)),
    ...(next === undefined ? {} : { nextCursor: tokenValue(next, 'NextCursor', MAX_CURSOR) }),
  };
}

/**
 * The feed's promise a pull's checkpoint relies on: nothing recorded before `since`, RecordedAt
 * never decreasing, and no change twice in a page. Compared at millisecond precision, as the
 * canonical recordedAt is cut to it.
 */
function checkFeedOrder(changes: RegisterChange[], sinceMs: number): void {
  let prev = Math.floor(sinceMs);
  const ids = new Set<string>();
  changes.forEach((c, i) => {
    const at = `Changes/Change[${i + 1}]`;
    const ms = Date.parse(c.recordedAt);
    if (ms < prev) throw new PmlpFieldError(`${at}/RecordedAt`, `${c.recordedAt} is ${i === 0 ? 'before ChangedSince' : 'earlier than the change before it; the feed must be in RecordedAt order'}`);
    if (ids.has(c.changeId)) throw new PmlpFieldError(`${at}/ChangeId`, `${c.changeId} appears twice in one page`);
    ids.add(c.changeId);
    prev = ms;
  });
}
