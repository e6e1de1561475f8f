/**
 * SOPA's notification webhook as sopa.md ("Notifications to SOPA") defines it: the JSON body the hub
 * sends, and the checks SOPA makes of it. Kept apart from both the delivery and the simulator so the
 * two sides read one contract.
 */
import { isRealDate, personCodeProblem, type BurvisProfile } from '../../engine/index.ts';

/** Appended to `{sopaBase}`; partners.yaml's notify.endpoint is the whole URL. */
export const SOPA_NOTIFICATIONS_PATH = '/api/notifications';
export const SOPA_NOTIFICATION_TYPE = 'burvis.profile';

export interface SopaNotification {
  /** SOPA deduplicates by it: 202 on first receipt, 200 on a repeat. */
  notificationId: string;
  type: typeof SOPA_NOTIFICATION_TYPE;
  /** The municipality (ATVK) whose SOPA is notified. */
  municipality: string;
  profile: BurvisProfile;
}

/** What is wrong with a body, named by its JSON path (`profile.registeredOn`). */
export interface NotificationProblem {
  field: string;
  message: string;
}

const STATUSES: readonly string[] = ['UNEMPLOYED', 'JOBSEEKER', 'DEREGISTERED'] satisfies BurvisProfile['status'][];
const GROUPS: readonly unknown[] = [1, 2, 3] satisfies BurvisProfile['profilingGroup'][];
const ATVK = /^\d{7}$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

const isDate = (v: unknown): boolean =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && isRealDate(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10)));

const isInstant = (v: unknown): boolean => {
  const m = typeof v === 'string' ? INSTANT.exec(v) : null;
  return !!m && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]));
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The first problem of a parsed body, or null when SOPA accepts it. Fields SOPA does not know are
 * ignored, as a JSON receiver should, so the canonical profile may grow without breaking SOPA.
 */
export function notificationProblem(body: unknown): NotificationProblem | null {
  if (!isObject(body)) return { field: '', message: 'the body must be a JSON object' };
  const { notificationId, type, municipality, profile } = body;
  if (typeof notificationId !== 'string' || !notificationId.trim()) return { field: 'notificationId', message: 'notificationId must be a non-empty string' };
  if (type !== SOPA_NOTIFICATION_TYPE) return { field: 'type', message: `type must be "${SOPA_NOTIFICATION_TYPE}"` };
  if (typeof municipality !== 'string' || !ATVK.test(municipality)) return { field: 'municipality', message: 'municipality must be an ATVK code as a string of 7 digits' };
  if (!isObject(profile)) return { field: 'profile', message: 'profile must be an object holding the canonical BURVIS profile' };
  return profileProblem(profile);
}

function profileProblem(p: Record<string, unknown>): NotificationProblem | null {
  const at = (field: string, message: string): NotificationProblem => ({ field: `profile.${field}`, message: `profile.${field} ${message}` });
  if (typeof p.personCode !== 'string' || !/^\d{11}$/.test(p.personCode)) return at('personCode', 'must be 11 digits without a hyphen');
  const codeProblem = personCodeProblem(p.personCode);
  if (codeProblem) return at('personCode', `is not a valid personal code: ${codeProblem}`);
  if (typeof p.status !== 'string' || !STATUSES.includes(p.status)) return at('status', `must be one of ${STATUSES.join(', ')}`);
  if (!isDate(p.registeredOn)) return at('registeredOn', 'must be a date YYYY-MM-DD');
  if (p.deregisteredOn !== undefined && !isDate(p.deregisteredOn)) return at('deregisteredOn', 'must be a date YYYY-MM-DD when present');
  if (!GROUPS.includes(p.profilingGroup)) return at('profilingGroup', 'must be the number 1, 2 or 3');
  if (typeof p.municipality !== 'string' || !ATVK.test(p.municipality)) return at('municipality', 'must be an ATVK code as a string of 7 digits');
  if (!isInstant(p.updatedAt)) return at('updatedAt', 'must be an ISO 8601 date and time with an offset (e.g. 2026-11-20T08:15:00Z)');
  return null;
}
