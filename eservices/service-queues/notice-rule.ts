/**
 * When a person in a queue gets a notice (docs/partners/portal-service-queues.md, "Notices").
 *
 * The Ministry's rule: a notice is news the person can act on, not a daily echo of the queue. A
 * queue of a thousand moves a place at a time, so a notice at every move would be hundreds of
 * e-address messages that each say almost nothing, and a threshold on the move since the last
 * snapshot would say nothing at all to someone moving one place a day. So the comparison is with
 * what the person was last told (or, before any notice, what was first reported), and small moves
 * add up: a notice when
 *   - a place is granted, the person is removed, or is waiting again after either;
 *   - the position is worse than the one last told (someone with priority came ahead);
 *   - the position improved by at least a tenth of the one last told, and by at least one place
 *     (from 10 every place, from 100 ten places, from 1000 a hundred);
 *   - the expected start moved by 30 days or more from the one last told, or is given for the
 *     first time.
 * Joining a queue makes no notice: the municipality's decision that queued the person is its own
 * notice (e-service 2). A first report of a person already granted a place does.
 */
import type { EntryRow, HistoryRow, QueueStatus } from '../../store/service-queues.ts';
import type { SnapshotEntry } from './snapshot.ts';

export const NOTICE_RULE = {
  /** The share of the position last told that an improvement must reach. */
  improvementShare: 0.1,
  /** A move of the expected start that is news. */
  expectedStartShiftDays: 30,
} as const;

export type NoticeReason = 'granted' | 'removed' | 'waiting-again' | 'moved-back' | 'moved-up' | 'expected-start';

export interface Told { status: QueueStatus; position: number | null; expectedStart: string | null }

const days = (a: string, b: string): number => Math.abs(Date.parse(a) - Date.parse(b)) / 86_400_000;

/** Why `now` is news for a person last told `told` (undefined: first reported now), or null. */
export function noticeReason(told: Told | undefined, now: SnapshotEntry): NoticeReason | null {
  if (!told) return now.status === 'GRANTED' ? 'granted' : null;
  if (now.status !== told.status) return now.status === 'GRANTED' ? 'granted' : now.status === 'REMOVED' ? 'removed' : 'waiting-again';
  if (now.status === 'WAITING' && told.position !== null && now.position !== null) {
    if (now.position > told.position) return 'moved-back';
    if (told.position - now.position >= Math.max(1, Math.floor(told.position * NOTICE_RULE.improvementShare))) return 'moved-up';
  }
  if (now.expectedStart && (!told.expectedStart || days(now.expectedStart, told.expectedStart) >= NOTICE_RULE.expectedStartShiftDays)) return 'expected-start';
  return null;
}

export interface Diff {
  /** The queue's new current state. */
  entries: EntryRow[];
  /** What changed, for the history (ABSENT: no longer listed). */
  history: HistoryRow[];
  /** The persons to tell, and why. */
  notices: { entry: SnapshotEntry; reason: NoticeReason }[];
}

/** The new current state of a queue from the old one and a snapshot taken at `asOf`. */
export function diffSnapshot(old: Map<string, EntryRow>, entries: SnapshotEntry[], asOf: string): Diff {
  const out: Diff = { entries: [], history: [], notices: [] };
  for (const e of entries) {
    const o = old.get(e.personCode);
    const moved = !o || o.status !== e.status || o.position !== e.position;
    const changed = moved || o.joinedOn !== e.joinedOn || o.expectedStart !== e.expectedStart;
    const told: Told | undefined = o && { status: o.toldStatus, position: o.toldPosition, expectedStart: o.toldExpectedStart };
    const reason = noticeReason(told, e);
    if (reason) out.notices.push({ entry: e, reason });
    const nowTold = reason || !told ? { status: e.status, position: e.position, expectedStart: e.expectedStart } : told;
    out.entries.push({
      personCode: e.personCode, status: e.status, position: e.position, joinedOn: e.joinedOn, expectedStart: e.expectedStart,
      changedAt: changed ? asOf : o.changedAt, previousPosition: moved ? (o?.position ?? null) : o.previousPosition,
      toldStatus: nowTold.status, toldPosition: nowTold.position, toldExpectedStart: nowTold.expectedStart,
    });
    if (changed) out.history.push({ personCode: e.personCode, status: e.status, position: e.position, joinedOn: e.joinedOn, expectedStart: e.expectedStart });
  }
  const listed = new Set(entries.map((e) => e.personCode));
  for (const o of old.values()) {
    if (!listed.has(o.personCode)) out.history.push({ personCode: o.personCode, status: 'ABSENT', position: null, joinedOn: null, expectedStart: null });
  }
  return out;
}
