/**
 * The hub's client of NVA's BURVIS MunicipalExchange service (shared/partners/burvis.md): signs each
 * request with the hub's identity, verifies each answer against NVA's registered certificate, and
 * reads answers strictly into canonical form. Partner faults and transport failures become
 * ConnectorErrors whose httpStatus is what the query API answers (docs/errors.md): 404 no such
 * person, 502 partner fault or bad signature or an answer the XSD does not allow, 503 unavailable
 * (retryable), 504 timeout (retryable).
 */
import { randomUUID } from 'node:crypto';
import {
  ConnectorError, ValidationError, normalizePersonCode, personCodeProblem, soapPayload,
  type BurvisProfile, type CanonicalXml, type CoParticipation, type SigningIdentity, type XElement, signedSoapCall, keepAliveAgent,
  type SoapExchange,
} from '../../engine/index.ts';
import {
  BURVIS_NS, BURVIS_OPERATIONS, MAX_PAGE_SIZE, MAX_PURPOSE, MAX_TOKEN, REQUESTER_RE, checkCoParticipation, coParticipationFields, readProfile,
  type BurvisOperation, type BurvisOperationName,
} from './messages.ts';
import { BurvisFieldError, fixedTrue, instant, readSequence, requiredLeaf, optionalLeaf, token } from './xml-read.ts';

export interface BurvisClientOptions {
  /** The MunicipalExchange endpoint, e.g. `https://…/municipal/MunicipalExchange`. */
  baseUrl: string;
  /** The hub's signing key and certificate (the one NVA has registered). */
  identity: SigningIdentity;
  /** NVA's certificate: answers signed with anything else are refused. */
  burvisCertPem: string;
  /** Deadline for one call. @defaultValue 10000 */
  timeoutMs?: number;
  /** Concurrent connections kept open to NVA. @defaultValue 32 */
  maxSockets?: number;
  /** Sees every exchange (for the audit log's hashes, and for tests). */
  onExchange?(e: BurvisExchange): void;
}

export interface BurvisExchange extends SoapExchange {
  operation: BurvisOperationName;
}

export interface BurvisProfileQuery {
  /** A municipality's ATVK, or LM. */
  requesterId: string;
  /** Why the person is looked up; NVA keeps it in its own audit. */
  purpose: string;
  /** Unique per request; a retry of the same request should reuse it. @defaultValue a random UUID */
  requestId?: string;
  /** This call's deadline. @defaultValue the client's timeoutMs */
  timeoutMs?: number;
}

export interface BurvisChangesQuery {
  /** Changes strictly after this instant (with an offset). */
  since: string;
  /** NextCursor of the previous page of the same `since`. */
  cursor?: string;
  /** 1 to 1000; NVA's default when absent. */
  pageSize?: number;
  requesterId: string;
  /** @defaultValue a random UUID */
  requestId?: string;
  /** This call's deadline. @defaultValue the client's timeoutMs */
  timeoutMs?: number;
}

export interface BurvisChangesPage {
  /** In UpdatedAt order. */
  profiles: BurvisProfile[];
  /** Present when more pages follow. */
  nextCursor?: string;
}

export interface BurvisClient {
  /** GetProfile: one person's profile; a person NVA does not know is HUB_ERR_PARTNER_NOT_FOUND (404). */
  profileOf(personCode: string, q: BurvisProfileQuery): Promise<{ personCode: string; profile: BurvisProfile }>;
  /** GetProfilingChanges: one page of the change feed. */
  profilingChanges(q: BurvisChangesQuery): Promise<BurvisChangesPage>;
  /** SubmitCoParticipation: NVA's reference; the same Id and content again gets the same one. */
  submitCoParticipation(cp: CoParticipation, q: { requesterId: string; requestId: string; timeoutMs?: number }): Promise<{ ref: string }>;
  close(): void;
}

const invalid = (field: string, message: string): ValidationError => new ValidationError('HUB_ERR_QUERY_INVALID', message, 400, { field });

/** The question's own fields, checked before anything is sent (400 naming the field). */
function checkRequester(requesterId: string, municipalOnly = false): void {
  const ok = municipalOnly ? /^\d{7}$/.test(requesterId) : REQUESTER_RE.test(requesterId);
  if (!ok) throw invalid('requesterId', `requesterId must be a municipality's ATVK code${municipalOnly ? '' : ' or LM'}`);
}

export function createBurvisClient(opts: BurvisClientOptions): BurvisClient {
  const agent = keepAliveAgent(opts.baseUrl, opts.maxSockets);
  const timeoutMs = opts.timeoutMs ?? 10_000;

  /** Sends one request; resolves with the verified response payload (faults and transport failures reject). */
  function exchange(op: BurvisOperation, q: { timeoutMs?: number }, payload: CanonicalXml): Promise<XElement> {
    return signedSoapCall<BurvisExchange, XElement>({ operation: op.name }, payload, {
      url: opts.baseUrl, identity: opts.identity, post: { timeoutMs: q.timeoutMs ?? timeoutMs, soapAction: op.soapAction, agent, partner: 'burvis' },
      answer: { partner: 'burvis', operation: op.name, certPem: opts.burvisCertPem, ns: BURVIS_NS, response: op.response }, onExchange: opts.onExchange,
    }, (answer) => answer);
  }

  return {
    async profileOf(personCode, q) {
      const code = normalizePersonCode(personCode);
      const problem = personCodeProblem(personCode);
      if (!code || problem) throw invalid('personCode', `personCode: ${problem}`);
      const purpose = q.purpose?.replace(/\s+/g, ' ').trim() ?? '';
      if (!purpose) throw invalid('purpose', 'purpose is required: NVA records why each person is looked up');
      if ([...purpose].length > MAX_PURPOSE) throw invalid('purpose', `purpose has ${[...purpose].length} characters; NVA accepts at most ${MAX_PURPOSE}`);
      checkRequester(q.requesterId);
      const op = BURVIS_OPERATIONS.GetProfile;
      const payload = await exchange(op, q, soapPayload(BURVIS_NS, op.request, [
        ['RequestId', requestIdOf(q.requestId)], ['RequesterId', q.requesterId], ['Purpose', purpose], ['PersonCode', code],
      ]));
      const profile = readAnswer(op, () => readProfile(readSequence(payload, BURVIS_NS, [{ name: 'Profile' }], '').get('Profile')![0], 'Profile'));
      if (profile.personCode !== code) throw malformed(op, 'Profile/PersonCode', 'is another person than the one asked about');
      return { personCode: code, profile };
    },

    async profilingChanges(q) {
      let since: string;
      try { since = instant(q.since, 'since'); } catch (e) { throw invalid('since', (e as Error).message); }
      if (q.pageSize !== undefined && (!Number.isInteger(q.pageSize) || q.pageSize < 1 || q.pageSize > MAX_PAGE_SIZE)) {
        throw invalid('pageSize', `pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
      }
      let cursor: string | undefined;
      try { cursor = q.cursor === undefined ? undefined : token(q.cursor, 'cursor', MAX_TOKEN); } catch (e) { throw invalid('cursor', `${(e as Error).message}: send the nextCursor of the previous page unchanged`); }
      checkRequester(q.requesterId);
      const op = BURVIS_OPERATIONS.GetProfilingChanges;
      const payload = await exchange(op, q, soapPayload(BURVIS_NS, op.request, [
        ['RequestId', requestIdOf(q.requestId)], ['RequesterId', q.requesterId], ['Since', since], ['Cursor', cursor], ['PageSize', q.pageSize],
      ]));
      return readAnswer(op, () => {
        const f = readSequence(payload, BURVIS_NS, [{ name: 'Profiles' }, { name: 'NextCursor', min: 0 }], '');
        const items = readSequence(f.get('Profiles')![0], BURVIS_NS, [{ name: 'Profile', min: 0, max: Infinity }], 'Profiles').get('Profile')!;
        const profiles = items.map((el, i) => readProfile(el, `Profiles/Profile[${i + 1}]`));
        // The hub's checkpoint is the newest UpdatedAt it stored: a profile at or before Since, or
        // out of order, would move it wrongly, so such a page is refused as a whole.
        profiles.forEach((p, i) => {
          if (p.updatedAt <= since) throw new BurvisFieldError(`Profiles/Profile[${i + 1}]/UpdatedAt`, `${p.updatedAt} is not after Since ${since}`);
          if (i > 0 && p.updatedAt < profiles[i - 1].updatedAt) throw new BurvisFieldError(`Profiles/Profile[${i + 1}]/UpdatedAt`, `${p.updatedAt} is earlier than the profile before it: the page is not in UpdatedAt order`);
        });
        const next = optionalLeaf(f, 'NextCursor', '');
        return { profiles, ...(next === undefined ? {} : { nextCursor: token(next, 'NextCursor', MAX_TOKEN) }) };
      });
    },

    async submitCoParticipation(cp, q) {
      checkRequester(q.requesterId, true);
      let sent: CoParticipation;
      try { sent = checkCoParticipation(cp); } catch (e) {
        if (e instanceof BurvisFieldError) throw invalid(e.field, `the co-participation cannot be sent: ${e.message}`);
        throw e;
      }
      // Required here, unlike the questions: a delivery's retries must carry the same RequestId.
      if (q.requestId === undefined) throw invalid('requestId', 'requestId is required');
      const op = BURVIS_OPERATIONS.SubmitCoParticipation;
      const payload = await exchange(op, q, soapPayload(BURVIS_NS, op.request, [
        ['RequestId', requestIdOf(q.requestId)], ['RequesterId', q.requesterId], ['CoParticipation', coParticipationFields(sent)],
      ]));
      return readAnswer(op, () => {
        const f = readSequence(payload, BURVIS_NS, [{ name: 'Accepted' }, { name: 'Ref' }], '');
        fixedTrue(requiredLeaf(f, 'Accepted', ''), 'Accepted');
        return { ref: token(requiredLeaf(f, 'Ref', ''), 'Ref', MAX_TOKEN) };
      });
    },

    close() { agent.destroy(); },
  };
}

/** A RequestId as Token100 allows it; a random one when absent. */
function requestIdOf(id: string | undefined): string {
  if (id === undefined) return randomUUID();
  try { return token(id, 'requestId', MAX_TOKEN); } catch (e) { throw invalid('requestId', (e as Error).message); }
}

const malformed = (op: BurvisOperation, field: string | undefined, why: string): ConnectorError =>
  new ConnectorError('HUB_ERR_PARTNER_RESPONSE', `burvis ${op.name}: unexpected answer: ${field ? `${field}: ` : ''}${why}`, {
    retryable: false, httpStatus: 502, details: { connector: 'burvis', operation: op.name, ...(field ? { field } : {}) },
  });

/** Runs a reader of the answer; a field it refuses becomes HUB_ERR_PARTNER_RESPONSE naming the field. */
function readAnswer<T>(op: BurvisOperation, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof BurvisFieldError) throw malformed(op, e.field, e.problem);
    throw e;
  }
}

/** The verified response payload; faults, bad signatures and odd answers become ConnectorErrors. */
