/**
 * The words of a decision notice (docs/partners/eaddress.md, "Decision notices"): Latvian, plain,
 * and only the recipient's own decision, so a household's notice names no other member. Labelled
 * lines rather than sentences: a municipality's name then needs no declension.
 */
import type { EAddressMessage } from '../../schemas/canonical/model.ts';
import type { NoticeDecision } from '../../store/decision-notices.ts';
import { municipalities } from '../../engine/validation/municipalities.ts';

const HOUSEHOLD: Record<string, string> = {
  NEEDY: 'trūcīgas mājsaimniecības statuss',
  LOW_INCOME: 'maznodrošinātas mājsaimniecības statuss',
};

const BENEFIT: Record<string, string> = {
  GMI: 'garantētā minimālā ienākuma pabalsts',
  HOUSING: 'mājokļa pabalsts',
  HEALTHCARE: 'pabalsts veselības aprūpei',
  CRISIS: 'pabalsts krīzes situācijā',
  OTHER: 'sociālās palīdzības pabalsts',
};

const SERVICE: Record<string, string> = {
  SOCIAL_WORK: 'sociālais darbs',
  HOME_CARE: 'aprūpe mājās',
  DAY_CENTRE: 'dienas centrs',
  GROUP_HOME: 'grupu māja (dzīvoklis)',
  LONG_TERM_CARE: 'ilgstoša sociālā aprūpe institūcijā',
  REHABILITATION: 'sociālā rehabilitācija',
  CRISIS_CENTRE: 'krīzes centrs',
  SHELTER: 'patversme',
  SOUP_KITCHEN: 'zupas virtuve',
  SPECIALISED_WORKSHOP: 'specializētā darbnīca',
  ASSISTANT: 'asistenta pakalpojums',
};

const OUTCOME: Record<string, string> = {
  GRANTED: 'piešķirts',
  REFUSED: 'atteikts',
  TERMINATED: 'izbeigts',
  SUSPENDED: 'pārtraukts',
};

/** 2026-11-03 → 03.11.2026. (the Latvian way of writing a date) */
const date = (iso: string): string => `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}.`;
/** 2026-11 → 11.2026. */
const month = (ym: string): string => `${ym.slice(5, 7)}.${ym.slice(0, 4)}.`;

/** One notice per decision and recipient, ever: its identity, from which its delivery id is made. */
export const causeOf = (d: Pick<NoticeDecision, 'municipality' | 'source' | 'decisionId'>): string => `decision:${d.municipality}/${d.source}/${d.decisionId}`;

export function decisionNotice(d: NoticeDecision): EAddressMessage {
  const m = municipalities().get(d.municipality);
  const where = m ? m.name : `ATVK ${d.municipality}`;
  let topic: string, what: string, period: string | undefined;
  let periodLabel = 'Spēkā';
  if (d.kind === 'household-status') {
    topic = HOUSEHOLD[d.code] ?? 'mājsaimniecības statuss';
    what = `Jūsu mājsaimniecībai piešķirts ${topic}`;
    period = d.from && d.to ? `no ${date(d.from)} līdz ${date(d.to)}` : undefined;
  } else if (d.kind === 'benefit') {
    topic = BENEFIT[d.code] ?? BENEFIT.OTHER;
    what = `Piešķirts ${topic}`;
    const several = !!d.to && d.to !== d.from;
    periodLabel = several ? 'Par mēnešiem' : 'Par mēnesi';
    period = d.from ? (several ? `${month(d.from)}–${month(d.to!)}` : month(d.from)) : undefined;
  } else {
    topic = 'sociālais pakalpojums';
    what = `Sociālais pakalpojums "${SERVICE[d.code] ?? d.code}" – ${OUTCOME[d.outcome ?? ''] ?? d.outcome ?? 'lēmums pieņemts'}`;
    period = d.from ? `no ${date(d.from)}${d.to ? ` līdz ${date(d.to)}` : ''}` : undefined;
  }
  const text = [
    'Labdien!',
    '',
    'Pašvaldība ir pieņēmusi lēmumu, kas attiecas uz Jums.',
    '',
    `Pašvaldība: ${where}`,
    `Lēmums: ${what}`,
    ...(period ? [`${periodLabel}: ${period}`] : []),
    `Lēmuma datums: ${date(d.decisionDate)}`,
    `Lēmuma numurs pašvaldībā: ${d.decisionId}`,
    '',
    'Lēmuma statusu un savus pieteikumus varat skatīt portālā Latvija.lv. Ja lēmums Jums vēl nav',
    'izsniegts, to var saņemt pašvaldības sociālajā dienestā.',
    '',
    'Šis ir automātisks paziņojums no Labklājības ministrijas sistēmas SPOLIS; uz to nav jāatbild.',
  ].join('\n');
  return {
    kind: 'decision-notice', recipient: { personCode: d.personCode }, personCode: d.personCode, municipality: d.municipality,
    cause: causeOf(d), subject: `Pašvaldības lēmums: ${topic}`, text,
  };
}
