/**
 * The simulated PMLP's GetPersonChanges paging. A page starts after a position in the feed (the
 * RecordedAt of the last change delivered, named by its ChangeId), not at an offset: changes are
 * only ever recorded at the end of the feed, later than every one before, so a change recorded
 * between two pages can neither land before the position (and be skipped) nor push an already
 * delivered change past it (and be repeated).
 */
import type { RegisterChange } from '../../engine/index.ts';
import { PmlpFieldError } from './messages.ts';
import type { PmlpDataSet } from './simulator-data.ts';
import type { ChangesRequest } from './simulator-request.ts';

export interface FeedPage {
  changes: RegisterChange[];
  /** Absent on the last page. */
  nextCursor?: string;
}

const CURSOR_RE = /^p1\.([0-9a-z]{1,11})\.([A-Za-z0-9-]{1,64})$/;

/** The opaque cursor naming the position just after `c`. */
export const cursorAfter = (c: RegisterChange): string => `p1.${Date.parse(c.recordedAt).toString(36)}.${c.changeId}`;

/** The RecordedAt (ms) a cursor names, or a PmlpFieldError for one this service did not issue. */
function positionOf(data: PmlpDataSet, cursor: string): number {
  const m = CURSOR_RE.exec(cursor);
  const change = m ? data.changeById(m[2]) : undefined;
  if (!change || cursorAfter(change) !== cursor) {
    throw new PmlpFieldError('Cursor', 'is not a cursor this service issued: send the NextCursor of the previous page unchanged, or start again without Cursor');
  }
  return Date.parse(change.recordedAt);
}

/** One page of the feed: the changes recorded after ChangedSince and after the cursor's position. */
export function pageOf(data: PmlpDataSet, r: Pick<ChangesRequest, 'sinceMs' | 'cursor' | 'pageSize'>): FeedPage {
  const feed = data.changes();
  const after = Math.max(r.sinceMs, r.cursor === undefined ? -Infinity : positionOf(data, r.cursor));
  // RecordedAt strictly increases along the feed: the first change after `after` is found by bisection.
  let lo = 0;
  let hi = feed.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Date.parse(feed[mid].recordedAt) > after) hi = mid;
    else lo = mid + 1;
  }
  const changes = feed.slice(lo, lo + r.pageSize);
  return { changes, ...(lo + r.pageSize < feed.length ? { nextCursor: cursorAfter(changes[changes.length - 1]) } : {}) };
}
