/**
 * SOPA batches for the decision-notice tests, dated relative to today: a notice goes only for a
 * decision made within the window before the batch arrives, so fixed dates would age out of it.
 */
import { readFileSync } from 'node:fs';
import { makePersonCode } from '../../engine/index.ts';

const FIXTURE = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');

/** YYYY-MM-DD `n` days before today (UTC). */
export const daysAgo = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
/** This month (UTC): the load's period. */
export const PERIOD = new Date().toISOString().slice(0, 7);
const created = (): string => `${new Date(Date.now() - 60_000).toISOString().slice(0, 19)}+00:00`;

/** The persons of test/fixtures/sopa-batch.xml. */
export const FIXTURE_PERSONS = {
  /** First member of household RIX-H-88120; the GMI and housing benefits are hers. */
  anna: '16117519997',
  /** The household's other member. */
  janis: '05091515731',
  /** The home-care service decision. */
  service: '27091215963',
  /** An assistant month only: no decision, no notice. */
  assistant: '15031621371',
};

/**
 * The partner example with today's dates: five records, four decisions (a household status of two
 * members, two benefits of one person, a service decision) and an assistant month.
 */
export function fixtureBatch(): string {
  return FIXTURE
    .replace(/<Izveidots>[^<]*<\/Izveidots>/, `<Izveidots>${created()}</Izveidots>`)
    .replaceAll('2026-10-01', daysAgo(6)).replaceAll('2026-10-03', daysAgo(5)).replaceAll('2026-10-05', daysAgo(4))
    .replaceAll('2026-10-10', daysAgo(3)).replaceAll('2026-10-15', daysAgo(1))
    .replaceAll('2026-10', PERIOD);
}

export interface ServiceItem {
  id: string;
  personCode: string;
  /** @defaultValue PIESKIRTS */
  outcome?: 'PIESKIRTS' | 'ATTEIKTS' | 'IZBEIGTS' | 'PARTRAUKTS';
  /** @defaultValue 3 days ago */
  decisionDate?: string;
}

/** A SOPA batch of service decisions only. */
export function servicesBatch(items: ServiceItem[]): string {
  const one = (s: ServiceItem): string => `
    <Pakalpojums lemumaNr="${s.id}">
      <PersonasKods>${s.personCode}</PersonasKods>
      <Lemums>${s.outcome ?? 'PIESKIRTS'}</Lemums>
      <PakalpojumaKods>DIENAS_CENTRS</PakalpojumaKods>
      <LemumaDatums>${s.decisionDate ?? daysAgo(3)}</LemumaDatums>
      <No>${s.decisionDate ?? daysAgo(3)}</No>
    </Pakalpojums>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<SpolisEksports xmlns="urn:lv:zzdats:sopa:spolis:1" versija="1.0">
  <Galvene>
    <PasvaldibasATVK>0001000</PasvaldibasATVK>
    <Periods>${PERIOD}</Periods>
    <Izveidots>${created()}</Izveidots>
    <IerakstuSkaits>${items.length}</IerakstuSkaits>
  </Galvene>
  <Pakalpojumi>${items.map(one).join('')}
  </Pakalpojumi>
</SpolisEksports>
`;
}

/** `n` distinct valid person codes, from `serial` on. */
export function persons(n: number, serial: number): string[] {
  return Array.from({ length: n }, (_, i) => makePersonCode({ year: 1960 + (i % 40), month: 1 + (i % 12), day: 1 + (i % 28) }, serial + i));
}
