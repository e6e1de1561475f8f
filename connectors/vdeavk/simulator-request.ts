/**
 * How the simulated VDEĀVK reads a GetUniversalServiceDataISRequest: exactly as
 * vdeavk-universal.xsd defines it, each refusal (INVALID_REQUEST) naming the field at fault.
 */
import { childElements, type XElement } from '../../engine/index.ts';
import {
  DATA_SET, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PURPOSE, MAX_TOKEN, REQUESTER_RE, VDEAVK_NS, personCode,
} from './messages.ts';
import { SchemaViolation, instantMs, leafText, oneOf, positiveInteger, readSequence, token, type Slot } from './xsd-values.ts';
import { decodeCursor, type FeedPosition } from './simulator-feed.ts';

interface Common { requestId: string; requesterId: string; purpose: string }
export interface PersonRequest extends Common { mode: 'person'; personCode: string }
export interface ChangesRequest extends Common {
  mode: 'changes';
  /** ChangedSince, in milliseconds since the epoch. */
  sinceMs: number;
  /** Where the previous page ended. */
  after?: FeedPosition;
  pageSize: number;
}
export type VdeavkRequest = PersonRequest | ChangesRequest;

const HEAD: Slot[] = [{ name: 'RequestId' }, { name: 'RequesterId' }, { name: 'Purpose' }, { name: 'DataSet' }];
const PERSON_SLOTS: Slot[] = [...HEAD, { name: 'PersonCode' }];
const CHANGES_SLOTS: Slot[] = [...HEAD, { name: 'ChangedSince' }, { name: 'Cursor', min: 0 }, { name: 'PageSize', min: 0 }];

/** The request's fields, or a SchemaViolation naming the one at fault. */
export function readRequest(payload: XElement): VdeavkRequest {
  const kids = childElements(payload);
  const choice = kids[HEAD.length];
  const person = choice?.uri === VDEAVK_NS && choice.local === 'PersonCode';
  const headOk = HEAD.every((s, i) => kids[i]?.uri === VDEAVK_NS && kids[i].local === s.name);
  if (headOk && !person && !(choice?.uri === VDEAVK_NS && choice.local === 'ChangedSince')) {
    throw new SchemaViolation('PersonCode', `after DataSet comes either PersonCode (one person's opinions) or ChangedSince (the changes since an instant); the request has ${choice ? choice.local : 'neither'}`);
  }
  const f = readSequence(payload, VDEAVK_NS, '', person ? PERSON_SLOTS : CHANGES_SLOTS);
  const text = (name: string): string | undefined => {
    const e = f.get(name);
    return e && leafText(e, name);
  };
  // Checked in the XSD's order, so the first field at fault is the one named.
  const requestId = token(text('RequestId')!, 'RequestId', MAX_TOKEN);
  const requesterId = text('RequesterId')!;
  if (!REQUESTER_RE.test(requesterId)) throw new SchemaViolation('RequesterId', 'must be a municipality\'s ATVK code (7 digits) or LM');
  const purpose = token(text('Purpose')!, 'Purpose', MAX_PURPOSE);
  oneOf(text('DataSet')!, 'DataSet', [DATA_SET]);
  const common: Common = { requestId, requesterId, purpose };
  if (person) return { ...common, mode: 'person', personCode: personCode(text('PersonCode')!, 'PersonCode') };

  const sinceMs = instantMs(text('ChangedSince')!);
  if (sinceMs === null) throw new SchemaViolation('ChangedSince', 'must be a date and time with an offset, e.g. 2026-01-05T10:00:00+02:00');
  const cursor = text('Cursor');
  const pageSize = text('PageSize');
  return {
    ...common, mode: 'changes', sinceMs,
    ...(cursor === undefined ? {} : { after: decodeCursor(token(cursor, 'Cursor', MAX_TOKEN)) }),
    pageSize: pageSize === undefined ? DEFAULT_PAGE_SIZE : positiveInteger(pageSize, 'PageSize', MAX_PAGE_SIZE),
  };
}
