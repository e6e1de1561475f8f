/**
 * SOPA's spellings for the simulator: the classifier codes of classifiers.md and near misses of
 * them. The PRNG, names, personal codes and dates are the engine's (engine/simulators/generation.ts).
 */
import type { PersonCodeStyle } from '../../engine/simulators/index.ts';

export const STATUS_KINDS = ['TRUCIGA', 'MAZNODROSINATA'] as const;
export const BENEFIT_KINDS = ['GMI', 'MAJOKLA', 'VESELIBAS', 'KRIZES', 'CITS'] as const;
export const SERVICE_DECISIONS = ['PIESKIRTS', 'ATTEIKTS', 'IZBEIGTS', 'PARTRAUKTS'] as const;
export const SERVICE_CODES = [
  'SOCIALAIS_DARBS', 'APRUPE_MAJAS', 'DIENAS_CENTRS', 'GRUPU_MAJA', 'ILGSTOSA_APRUPE', 'REHABILITACIJA',
  'KRIZES_CENTRS', 'PATVERSME', 'ZUPAS_VIRTUVE', 'SPECIALIZETA_DARBNICA', 'ASISTENTS',
] as const;
export const VOLUME_UNITS = ['H_MENESI', 'D_MENESI', 'VIETA'] as const;
export const ASSISTANT_CATEGORIES = ['BERNS', 'PIEAUGUSAIS', 'STUDENTS'] as const;

/** Near misses of real codes (CITS is a benefit kind but not a Loma), so a lax validator is caught. */
export const UNKNOWN_CODES: Record<string, readonly string[]> = {
  Veids: ['NEZINAMS', 'TRUCIGS', 'PABALSTS'],
  Lemums: ['APSTIPRINATS', 'NORAIDITS'],
  PakalpojumaKods: ['SOCIALAIS', 'APRUPE', 'S02'],
  Kategorija: ['BERNI', 'SENIORS'],
  Loma: ['CITS', 'OTRA', 'GALVENA'],
};

/** SOPA writes personal codes with the hyphen now and then (sopa.md). */
export const CODE_STYLE: PersonCodeStyle = { hyphen: 0.2 };
