/**
 * GVS's codes for the simulator: the classifier codes of classifiers.md and near misses of them.
 * The PRNG, names, personal codes and dates are the engine's (engine/simulators/generation.ts).
 */
import type { PersonCodeStyle } from '../../engine/simulators/index.ts';

/** GVS codes of classifiers.md. */
export const STATUS_CODES = [1, 2] as const;
export const BENEFIT_CODES = [1, 2, 3, 4, 9] as const;
export const DECISION_CODES = [1, 2, 3, 4] as const;
export const SERVICE_CODES = [101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111] as const;
export const UNITS = ['h', 'd', 'p'] as const;
export const CATEGORY_CODES = [1, 2, 3] as const;

/**
 * Near misses of real codes (5 and 8 sit between valid benefit codes, 112 just past the last
 * service, a canonical or SOPA spelling where GVS has a number), so a lax mapping is caught.
 */
export const UNKNOWN_CODES: Record<string, readonly unknown[]> = {
  statusCode: [0, 3, 'TRUCIGA'],
  benefitCode: [0, 5, 8, 'GMI'],
  decisionCode: [0, 5, 'G'],
  serviceCode: [100, 112, 'S02', 'HOME_CARE'],
  categoryCode: [0, 4, 'C'],
  unit: ['H', 'm', 'h/m', 'PLACE'],
  firstMember: ['yes', 1, 'PIRMA'],
  recordType: ['payment', 'Benefit', 'header'],
};

/** GVS writes personal codes without a hyphen (gvs.md). */
export const CODE_STYLE: PersonCodeStyle = { hyphen: 0 };
