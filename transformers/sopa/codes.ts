import { mapCode } from '../../engine/index.ts';

/** SOPA's spelling of the classifiers (partners/classifiers.md), mapped to the canonical codes. */
export const STATUS: Record<string, string> = { TRUCIGA: 'NEEDY', MAZNODROSINATA: 'LOW_INCOME' };
export const ROLE: Record<string, string> = { PIRMA: 'FIRST', CITA: 'OTHER' };
export const BENEFIT: Record<string, string> = { GMI: 'GMI', MAJOKLA: 'HOUSING', VESELIBAS: 'HEALTHCARE', KRIZES: 'CRISIS', CITS: 'OTHER' };
export const OUTCOME: Record<string, string> = { PIESKIRTS: 'GRANTED', ATTEIKTS: 'REFUSED', IZBEIGTS: 'TERMINATED', PARTRAUKTS: 'SUSPENDED' };
export const SERVICE: Record<string, string> = {
  SOCIALAIS_DARBS: 'SOCIAL_WORK', APRUPE_MAJAS: 'HOME_CARE', DIENAS_CENTRS: 'DAY_CENTRE', GRUPU_MAJA: 'GROUP_HOME',
  ILGSTOSA_APRUPE: 'LONG_TERM_CARE', REHABILITACIJA: 'REHABILITATION', KRIZES_CENTRS: 'CRISIS_CENTRE', PATVERSME: 'SHELTER',
  ZUPAS_VIRTUVE: 'SOUP_KITCHEN', SPECIALIZETA_DARBNICA: 'SPECIALISED_WORKSHOP', ASISTENTS: 'ASSISTANT',
};
export const UNIT: Record<string, string> = { H_MENESI: 'HOURS_PER_MONTH', D_MENESI: 'DAYS_PER_MONTH', VIETA: 'PLACE' };
export const CATEGORY: Record<string, string> = { BERNS: 'CHILD', PIEAUGUSAIS: 'ADULT', STUDENTS: 'STUDENT' };

/** SOPA codes are element texts: anything else is absent; the mapping itself is the engine's mapCode. */
export function code(table: Record<string, string>, value: unknown): string | undefined {
  return mapCode(table, typeof value === 'string' ? value : undefined);
}
