/**
 * The e-address notice of a change in a queue (docs/partners/eaddress.md, kind `queue-notice`).
 * Made only from the snapshot that caused it, never from the time it is made: the same change is
 * the same message and so the same delivery id, which the e-address deduplicates. The cause names
 * the change (queue, person, the snapshot's asOf, the new status and position), so a later real
 * change is a new message even when it brings the person back to a position they had before.
 */
import type { EAddressMessage } from '../../schemas/canonical/model.ts';
import type { SnapshotEntry } from './snapshot.ts';
import type { NoticeReason } from './notice-rule.ts';

export interface NoticeQueue {
  reporter: string;
  reporterName: string;
  queueId: string;
  name: string;
  municipality: string | null;
  asOf: string;
  /** Persons waiting in the snapshot. */
  waiting: number;
}

/** The cause of a notice: one message per change of one person's entry in one snapshot. */
export const queueCause = (q: NoticeQueue, e: SnapshotEntry): string =>
  `queue:${q.reporter}/${q.queueId}/${e.personCode}/${q.asOf}/${e.status}${e.position !== null ? `-${e.position}` : ''}`;

const LEAD: Record<NoticeReason, string> = {
  granted: 'Jums ir piešķirta vieta pakalpojuma saņemšanai.',
  removed: 'Jūs vairs neesat šajā rindā. Par iemeslu jautājiet iestādei, kas rindu kārto.',
  'waiting-again': 'Jūs atkal esat rindā.',
  'moved-back': 'Jūsu vieta rindā ir mainījusies.',
  'moved-up': 'Jūsu vieta rindā ir uzlabojusies.',
  'expected-start': 'Ir mainījies paredzamais pakalpojuma sākums.',
};

/** The e-address takes a subject of at most 200 characters; a queue's name may have as many. */
const short = (name: string): string => (name.length > 150 ? `${name.slice(0, 149)}…` : name);

/** The notice to `e`'s person about queue `q`, for `reason`. */
export function queueNotice(q: NoticeQueue, e: SnapshotEntry, reason: NoticeReason): EAddressMessage {
  const lines = [
    LEAD[reason],
    `Rinda: ${q.name} (${q.reporterName}).`,
    ...(e.status === 'WAITING' ? [`Jūsu vieta rindā: ${e.position}. Rindā kopā: ${q.waiting}.`] : []),
    ...(e.expectedStart ? [`Paredzamais pakalpojuma sākums: ${e.expectedStart}.`] : []),
    `Rindā kopš: ${e.joinedOn}. Informācija uz ${q.asOf.slice(0, 10)}.`,
    'Savas vietas visās rindās varat redzēt portālā Latvija.gov.lv.',
  ];
  return {
    kind: 'queue-notice',
    recipient: { personCode: e.personCode },
    personCode: e.personCode,
    ...(q.municipality ? { municipality: q.municipality } : {}),
    cause: queueCause(q, e),
    subject: `${reason === 'granted' ? 'Piešķirta vieta' : 'Rindas statuss'}: ${short(q.name)}`,
    text: lines.join('\n'),
  };
}
