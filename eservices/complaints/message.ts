/**
 * The message the institution's e-address receives (docs/partners/portal-complaints.md, "What the
 * institution receives"): the registration number in the subject, cover lines a clerk and a
 * document system can both read (`Label: value`, one a line, in Latvian as the institution works),
 * then the person's text unchanged, and the person's files unchanged.
 */
import type { EAddressMessage } from '../../schemas/canonical/model.ts';
import { submissionTopics } from '../../store/complaints.ts';
import type { Submission } from './submission.ts';

const KIND_NAMES: Record<Submission['kind'], string> = { COMPLAINT: 'Sūdzība', APPLICATION: 'Iesniegums', PROPOSAL: 'Priekšlikums' };

/** "YYYY-MM-DD HH:MM" in Riga time, and the year and month the registration number and statistics use. */
export function rigaTime(at: Date): { year: number; period: string; day: string; minute: string } {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Riga', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at).map((x) => [x.type, x.value]));
  return { year: Number(p.year), period: `${p.year}-${p.month}`, day: `${p.year}-${p.month}-${p.day}`, minute: `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` };
}

const withHyphen = (code: string): string => `${code.slice(0, 6)}-${code.slice(6)}`;

export function complaintMessage(s: Submission, o: { registrationNumber: string; personCode: string; receivedAt: Date }): EAddressMessage {
  const topic = submissionTopics().find((t) => t.code === s.topic)!;
  const cover = [
    `Reģistrācijas numurs: ${o.registrationNumber}`,
    `Veids: ${KIND_NAMES[s.kind]} (${s.kind})`,
    `Tēma: ${topic.name} (${topic.code})`,
    `Iestāde: ${s.institution.name}`,
    `Iesniedzējs: personas kods ${withHyphen(o.personCode)}`,
    ...(s.contact?.email ? [`E-pasts: ${s.contact.email}`] : []),
    ...(s.contact?.phone ? [`Tālrunis: ${s.contact.phone}`] : []),
    ...(s.contact?.address ? [`Adrese: ${s.contact.address}`] : []),
    `Saņemts: ${rigaTime(o.receivedAt).minute} (Rīgas laiks), Latvija.lv → SPOLIS`,
    ...(s.attachments.length ? [`Pielikumi: ${s.attachments.length}`] : []),
  ];
  return {
    kind: 'complaint',
    recipient: { regNo: s.institution.regNo },
    personCode: o.personCode,
    ...(s.institution.kind === 'municipality' ? { municipality: s.institution.id } : {}),
    cause: `complaint:${o.registrationNumber}`,
    subject: `${KIND_NAMES[s.kind]} ${o.registrationNumber}: ${topic.name}`,
    text: `${cover.join('\n')}\n\n${s.text}`,
    ...(s.attachments.length ? { attachments: s.attachments.map((a) => ({ name: a.name, contentType: a.contentType, data: a.data })) } : {}),
  };
}
