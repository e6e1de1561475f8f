/**
 * How the simulated PMLP reads a GetPersonRequest or GetPersonChangesRequest: exactly as
 * pmlp-fpr.xsd defines it plus pmlp.md's own rules (a personal code's check digit, an offset on
 * ChangedSince), each refusal a PmlpFieldError naming the field, which PMLP answers INVALID_REQUEST.
 */
import type { XElement } from '../../engine/index.ts';
import {
  DEFAULT_PAGE_SIZE, MAX_CURSOR, MAX_PURPOSE, PMLP_NS, PMLP_OPERATIONS, PmlpFieldError, REQUESTER_RE, REQUESTER_RULE, REQUEST_ID_RE,
  REQUEST_ID_RULE, instantValue, leaves, pageSizeValue, patterned, personCodeValue, tokenValue,
} from './messages.ts';

interface Common { requestId: string; requesterId: string; purpose: string }
export interface PersonRequest extends Common { mode: 'person'; personCode: string }
export interface ChangesRequest extends Common {
  mode: 'changes';
  /** ChangedSince, in milliseconds since the epoch. */
  sinceMs: number;
  /** The NextCursor of the previous page, not yet decoded. */
  cursor?: string;
  pageSize: number;
}
export type PmlpRequest = PersonRequest | ChangesRequest;

const COMMON = ['RequestId', 'RequesterId', 'Purpose'] as const;

/** The request's fields, or a PmlpFieldError naming the first one at fault in the XSD's order. */
export function readRequest(payload: XElement | undefined): PmlpRequest {
  const is = (name: string): boolean => payload?.uri === PMLP_NS && payload.local === name;
  const person = is(PMLP_OPERATIONS.GetPerson.request);
  if (!payload || !(person || is(PMLP_OPERATIONS.GetPersonChanges.request))) {
    throw new PmlpFieldError('Body', `must hold ${PMLP_OPERATIONS.GetPerson.request} or ${PMLP_OPERATIONS.GetPersonChanges.request} in namespace ${PMLP_NS}`);
  }
  const { text } = leaves(payload, '', person ? [...COMMON, 'PersonCode'] : [...COMMON, 'ChangedSince', 'Cursor?', 'PageSize?']);
  const common: Common = {
    requestId: patterned(text('RequestId')!, 'RequestId', REQUEST_ID_RE, REQUEST_ID_RULE),
    requesterId: patterned(text('RequesterId')!, 'RequesterId', REQUESTER_RE, REQUESTER_RULE),
    purpose: tokenValue(text('Purpose')!, 'Purpose', MAX_PURPOSE),
  };
  if (person) return { ...common, mode: 'person', personCode: personCodeValue(text('PersonCode')!, 'PersonCode') };
  const cursor = text('Cursor');
  const pageSize = text('PageSize');
  return {
    ...common, mode: 'changes', sinceMs: Date.parse(instantValue(text('ChangedSince')!, 'ChangedSince')),
    ...(cursor === undefined ? {} : { cursor: tokenValue(cursor, 'Cursor', MAX_CURSOR) }),
    pageSize: pageSize === undefined ? DEFAULT_PAGE_SIZE : pageSizeValue(pageSize, 'PageSize'),
  };
}
