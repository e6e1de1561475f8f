/**
 * What the BURVIS simulator does with a verified request, apart from HTTP and WS-Security: reads it
 * by burvis-municipal.xsd (INVALID_REQUEST naming the field otherwise) and answers the three
 * operations of burvis.md from the data set and NVA's book of co-participations.
 */
import { soapPayload, type CanonicalXml, type CoParticipation, type XElement } from '../../engine/index.ts';
import {
  BURVIS_NS, BURVIS_OPERATIONS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PURPOSE, MAX_TOKEN, REQUESTER_RE, coParticipationContent,
  profileFields, readCoParticipation, type BurvisErrorCode, type BurvisOperation,
} from './messages.ts';
import {
  BurvisFieldError, atvk, instant, optionalLeaf, personCode, positiveInt, readSequence, requiredLeaf, token,
} from './xml-read.ts';
import type { BurvisDataSet, FeedPosition } from './simulator-data.ts';

export class BurvisFault extends Error {
  constructor(readonly errorCode: BurvisErrorCode, message: string) { super(message); }
}

export type BurvisRequest =
  | { op: 'GetProfilingChanges'; requestId: string; requesterId: string; since: string; cursor?: FeedPosition; pageSize: number }
  | { op: 'GetProfile'; requestId: string; requesterId: string; purpose: string; personCode: string }
  | { op: 'SubmitCoParticipation'; requestId: string; requesterId: string; coParticipation: CoParticipation };

/** What NVA keeps of one municipality's co-participation Id. */
export interface CoParticipationRecord {
  requesterId: string;
  /** The current version. */
  content: CoParticipation;
  /** NVA's reference of the current version. */
  ref: string;
  /** Submissions of this Id, repeats included. */
  received: number;
  /** Versions applied: the first submission and each one that changed the content. */
  applied: number;
}

/** NVA's state behind the service. */
export interface BurvisBook {
  data: BurvisDataSet;
  /** By `${RequesterId}/${Id}`. */
  coParticipations: Map<string, CoParticipationRecord>;
  nextRef(): string;
}

const CURSOR_PREFIX = 'c1.';
const CURSOR_BODY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (\d{11})$/;

/** An opaque cursor for the position after a page's last profile. Position, not offset: a change between pages moves a profile, never the cursor. */
export const encodeCursor = (p: FeedPosition): string => CURSOR_PREFIX + Buffer.from(`${p.updatedAt} ${p.personCode}`).toString('base64url');

export function decodeCursor(cursor: string): FeedPosition | undefined {
  if (!cursor.startsWith(CURSOR_PREFIX) || !/^[A-Za-z0-9_-]+$/.test(cursor.slice(CURSOR_PREFIX.length))) return undefined;
  const m = CURSOR_BODY.exec(Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8'));
  return m && !Number.isNaN(Date.parse(m[1])) ? { updatedAt: m[1], personCode: m[2] } : undefined;
}

/** The operation a payload asks for, or undefined when it is none of the three. */
export const operationOf = (payload: XElement): BurvisOperation | undefined =>
  payload.uri === BURVIS_NS ? Object.values(BURVIS_OPERATIONS).find((o) => o.request === payload.local) : undefined;

function requester(v: string, field: string): string {
  if (!REQUESTER_RE.test(v)) throw new BurvisFieldError(field, `${JSON.stringify(v)} must be a municipality's ATVK code (7 digits) or LM`);
  return v;
}

/** The request a payload holds, read by the XSD; INVALID_REQUEST naming the field otherwise. */
export function readRequest(payload: XElement): BurvisRequest {
  const op = operationOf(payload);
  if (!op) throw new BurvisFault('INVALID_REQUEST', `the Body holds ${payload.local} in ${JSON.stringify(payload.uri)}; expected one of ${Object.values(BURVIS_OPERATIONS).map((o) => o.request).join(', ')} in ${BURVIS_NS}`);
  try {
    switch (op.name) {
      case 'GetProfilingChanges': {
        const f = readSequence(payload, BURVIS_NS, [{ name: 'RequestId' }, { name: 'RequesterId' }, { name: 'Since' }, { name: 'Cursor', min: 0 }, { name: 'PageSize', min: 0 }], '');
        const head = { requestId: token(requiredLeaf(f, 'RequestId', ''), 'RequestId', MAX_TOKEN), requesterId: requester(requiredLeaf(f, 'RequesterId', ''), 'RequesterId') };
        const since = instant(requiredLeaf(f, 'Since', ''), 'Since');
        const cursorText = optionalLeaf(f, 'Cursor', '');
        const cursor = cursorText === undefined ? undefined : decodeCursor(token(cursorText, 'Cursor', MAX_TOKEN));
        if (cursorText !== undefined && !cursor) {
          throw new BurvisFieldError('Cursor', 'is not a cursor this service issued; send the NextCursor of the previous page unchanged, or leave Cursor out to start after Since');
        }
        const pageSize = optionalLeaf(f, 'PageSize', '');
        return {
          op: op.name, ...head, since, ...(cursor ? { cursor } : {}),
          pageSize: pageSize === undefined ? DEFAULT_PAGE_SIZE : positiveInt(pageSize, 'PageSize', MAX_PAGE_SIZE),
        };
      }
      case 'GetProfile': {
        const f = readSequence(payload, BURVIS_NS, [{ name: 'RequestId' }, { name: 'RequesterId' }, { name: 'Purpose' }, { name: 'PersonCode' }], '');
        return {
          op: op.name, requestId: token(requiredLeaf(f, 'RequestId', ''), 'RequestId', MAX_TOKEN), requesterId: requester(requiredLeaf(f, 'RequesterId', ''), 'RequesterId'),
          purpose: token(requiredLeaf(f, 'Purpose', ''), 'Purpose', MAX_PURPOSE), personCode: personCode(requiredLeaf(f, 'PersonCode', ''), 'PersonCode'),
        };
      }
      case 'SubmitCoParticipation': {
        const f = readSequence(payload, BURVIS_NS, [{ name: 'RequestId' }, { name: 'RequesterId' }, { name: 'CoParticipation' }], '');
        const requestId = token(requiredLeaf(f, 'RequestId', ''), 'RequestId', MAX_TOKEN);
        const requesterId = atvk(requiredLeaf(f, 'RequesterId', ''), 'RequesterId');
        const cp = readCoParticipation(f.get('CoParticipation')![0], 'CoParticipation');
        if (cp.municipality !== requesterId) {
          throw new BurvisFieldError('CoParticipation/Municipality', `${cp.municipality} is not the requester ${requesterId}: a municipality submits the co-participation of its own clients`);
        }
        return { op: op.name, requestId, requesterId, coParticipation: cp };
      }
    }
  } catch (e) {
    if (e instanceof BurvisFieldError) throw new BurvisFault('INVALID_REQUEST', e.message);
    throw e;
  }
}

/** The answer payload of a read request; BurvisFault for PERSON_NOT_FOUND. */
export function answer(book: BurvisBook, req: BurvisRequest): CanonicalXml {
  const op = BURVIS_OPERATIONS[req.op];
  switch (req.op) {
    case 'GetProfilingChanges': {
      const { profiles, more } = book.data.changes(req.since, req.cursor, req.pageSize);
      const last = profiles[profiles.length - 1];
      return soapPayload(BURVIS_NS, op.response, [
        ['Profiles', profiles.map((p) => ['Profile', profileFields(p)] as const)],
        ['NextCursor', more && last ? encodeCursor(last) : undefined],
      ]);
    }
    case 'GetProfile': {
      const p = book.data.get(req.personCode);
      if (!p) throw new BurvisFault('PERSON_NOT_FOUND', 'NVA has no profile of this person');
      return soapPayload(BURVIS_NS, op.response, [['Profile', profileFields(p)]]);
    }
    case 'SubmitCoParticipation':
      return soapPayload(BURVIS_NS, op.response, [['Accepted', true], ['Ref', submit(book, req.requesterId, req.coParticipation)]]);
  }
}

/** Stores a co-participation: the same Id with the same content keeps its Ref; other content is a new version with a new Ref. */
function submit(book: BurvisBook, requesterId: string, cp: CoParticipation): string {
  const key = `${requesterId}/${cp.id}`;
  const before = book.coParticipations.get(key);
  if (before && coParticipationContent(before.content) === coParticipationContent(cp)) {
    before.received++;
    return before.ref;
  }
  const ref = book.nextRef();
  book.coParticipations.set(key, { requesterId, content: cp, ref, received: (before?.received ?? 0) + 1, applied: (before?.applied ?? 0) + 1 });
  return ref;
}
