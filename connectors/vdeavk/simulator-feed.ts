/**
 * The simulated VDEĀVK's ChangedSince feed. A page starts after a position (ChangedAt, OpinionId)
 * rather than at an offset: an opinion changed between two pages gets a ChangedAt later than every
 * other and so moves to the end of the feed, where the paging still reaches it; with an offset the
 * move would shift every later opinion back by one and the next page would skip one.
 */
import type { AssistantOpinion } from '../../engine/index.ts';
import { SchemaViolation } from './xsd-values.ts';

/** A place in the feed: just after the opinion with this ChangedAt and OpinionId. */
export interface FeedPosition { ms: number; opinionId: string }

export interface FeedRequest {
  sinceMs: number;
  after?: FeedPosition;
  pageSize: number;
}

export interface FeedPage {
  opinions: AssistantOpinion[];
  /** Absent on the last page. */
  nextCursor?: string;
}

const CURSOR_RE = /^c1\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{1,80})$/;

/** The opaque cursor naming the position just after `o`. */
export const encodeCursor = (o: AssistantOpinion): string =>
  `c1.${Date.parse(o.changedAt).toString(36)}.${Buffer.from(o.opinionId, 'utf8').toString('base64url')}`;

/** The position a cursor names, or a SchemaViolation for one this service did not issue. */
export function decodeCursor(cursor: string): FeedPosition {
  const m = CURSOR_RE.exec(cursor);
  const pos = m ? { ms: parseInt(m[1], 36), opinionId: Buffer.from(m[2], 'base64url').toString('utf8') } : undefined;
  // Re-encoding must give the same text: loose base64 or stray bits do not name a position.
  if (!pos || `c1.${pos.ms.toString(36)}.${Buffer.from(pos.opinionId, 'utf8').toString('base64url')}` !== cursor) {
    throw new SchemaViolation('Cursor', 'is not a cursor this service issued: send the NextCursor of the previous page unchanged, or start again without Cursor');
  }
  return pos;
}

const isAfter = (o: AssistantOpinion, p: FeedPosition): boolean => {
  const ms = Date.parse(o.changedAt);
  return ms > p.ms || (ms === p.ms && o.opinionId > p.opinionId);
};

/** One page of `feed` (sorted by ChangedAt, then OpinionId): changed after `sinceMs` and after the cursor's position. */
export function pageOf(feed: readonly AssistantOpinion[], r: FeedRequest): FeedPage {
  const wanted = (o: AssistantOpinion): boolean => Date.parse(o.changedAt) > r.sinceMs && (!r.after || isAfter(o, r.after));
  // Both conditions hold from some place on to the end of the sorted feed: find it by bisection.
  let lo = 0;
  let hi = feed.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (wanted(feed[mid])) hi = mid;
    else lo = mid + 1;
  }
  const opinions = feed.slice(lo, lo + r.pageSize);
  const more = lo + r.pageSize < feed.length;
  return { opinions, ...(more ? { nextCursor: encodeCursor(opinions[opinions.length - 1]) } : {}) };
}
