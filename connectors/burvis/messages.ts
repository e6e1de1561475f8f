/**
 * BURVIS's message vocabulary (shared/partners/burvis.md, schemas/xsd/burvis-municipal.xsd and
 * hub-burvis.xsd): operation names, classifiers and fault codes, and the one reader and writer of
 * `Profile` and `CoParticipation` that the hub's client, the simulator and the hub's push endpoint
 * share, so that what one side writes the other reads by the same rules.
 */
import { parseXmlTree, soapPayload, type BurvisProfile, type CoParticipation, type XElement, type XmlFields } from '../../engine/index.ts';
import {
  BurvisFieldError, atvk, charCount, childPath, date, instant, leafText, oneOf, optionalLeaf, personCode, readSequence, requiredLeaf, token,
} from './xml-read.ts';

export const BURVIS_NS = 'urn:lv:nva:burvis:municipal:1';
/** The hub's own push endpoint /soap/burvis (hub-burvis.xsd). */
export const HUB_BURVIS_NS = 'urn:lv:lm:spolis:hub:burvis:1';

export type BurvisOperationName = 'GetProfilingChanges' | 'GetProfile' | 'SubmitCoParticipation';

export interface BurvisOperation {
  name: BurvisOperationName;
  request: string;
  response: string;
  soapAction: string;
}

const op = (name: BurvisOperationName): BurvisOperation => ({ name, request: `${name}Request`, response: `${name}Response`, soapAction: `${BURVIS_NS}#${name}` });

export const BURVIS_OPERATIONS: Record<BurvisOperationName, BurvisOperation> = {
  GetProfilingChanges: op('GetProfilingChanges'),
  GetProfile: op('GetProfile'),
  SubmitCoParticipation: op('SubmitCoParticipation'),
};

/** NVA pushing profile changes to the hub (hub-burvis.wsdl). */
export const SUBMIT_PROFILING_CHANGES = {
  name: 'SubmitProfilingChanges', request: 'SubmitProfilingChangesRequest', response: 'SubmitProfilingChangesResponse',
  soapAction: `${HUB_BURVIS_NS}#SubmitProfilingChanges`,
} as const;

export const STATUSES = ['UNEMPLOYED', 'JOBSEEKER', 'DEREGISTERED'] as const satisfies readonly BurvisProfile['status'][];
export const PROFILING_GROUPS = ['1', '2', '3'] as const;
export const DUTIES = [
  'REGISTER_WITH_NVA', 'ACTIVE_JOB_SEARCH', 'ATTEND_MEASURES', 'SOCIAL_REHABILITATION', 'OTHER',
] as const satisfies readonly CoParticipation['duties'][number][];

/** The fault codes of burvis.md (detail/ErrorCode). */
export const BURVIS_ERROR_CODES = ['INVALID_REQUEST', 'PERSON_NOT_FOUND', 'ACCESS_DENIED', 'SIGNATURE_INVALID', 'UNAVAILABLE'] as const;
export type BurvisErrorCode = (typeof BURVIS_ERROR_CODES)[number];

/** GetProfilingChanges PageSize: the XSD's maximum, and the simulator's default when it is absent. */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 500;
/** Profiles in one SubmitProfilingChangesRequest (hub-burvis.xsd maxOccurs). */
export const MAX_PUSH_PROFILES = 1000;
export const MAX_SERVICE_CHARS = 200;
/** RequestId, Cursor, Id, Ref (Token100). */
export const MAX_TOKEN = 100;
export const MAX_PURPOSE = 500;
/** RequesterId of GetProfilingChanges and GetProfile: a municipality's ATVK, or LM for the Ministry (the hub's pulls). */
export const REQUESTER_RE = /^(\d{7}|LM)$/;
export const MINISTRY_REQUESTER = 'LM';

const PROFILE_SLOTS = [
  { name: 'PersonCode' }, { name: 'Status' }, { name: 'RegisteredOn' }, { name: 'DeregisteredOn', min: 0 },
  { name: 'ProfilingGroup' }, { name: 'Municipality' }, { name: 'UpdatedAt' },
] as const;

export interface ReadProfileOptions {
  /** When given, a Municipality outside it is refused (the hub cannot route a profile of an unknown municipality). */
  municipalities?: ReadonlySet<string>;
}

/** A `Profile` element read strictly into canonical form; throws BurvisFieldError under `path`. */
export function readProfile(el: XElement, path: string, opts: ReadProfileOptions = {}): BurvisProfile {
  if (el.uri !== BURVIS_NS || el.local !== 'Profile') throw new BurvisFieldError(path, `must be a Profile in ${BURVIS_NS}`);
  const f = readSequence(el, BURVIS_NS, PROFILE_SLOTS, path);
  const at = (name: string): string => childPath(path, name);
  // In document order, so that the first problem reported is the first one in the element.
  const code = personCode(requiredLeaf(f, 'PersonCode', path), at('PersonCode'));
  const status = oneOf(requiredLeaf(f, 'Status', path), at('Status'), STATUSES);
  const registeredOn = date(requiredLeaf(f, 'RegisteredOn', path), at('RegisteredOn'));
  const deregistered = optionalLeaf(f, 'DeregisteredOn', path);
  const deregisteredOn = deregistered === undefined ? undefined : date(deregistered, at('DeregisteredOn'));
  if (deregisteredOn !== undefined && deregisteredOn < registeredOn) {
    throw new BurvisFieldError(at('DeregisteredOn'), `${deregisteredOn} is before RegisteredOn ${registeredOn}`);
  }
  const profilingGroup = Number(oneOf(requiredLeaf(f, 'ProfilingGroup', path), at('ProfilingGroup'), PROFILING_GROUPS)) as BurvisProfile['profilingGroup'];
  const municipality = atvk(requiredLeaf(f, 'Municipality', path), at('Municipality'));
  if (opts.municipalities && !opts.municipalities.has(municipality)) {
    throw new BurvisFieldError(at('Municipality'), `${municipality} is not the ATVK code of a Latvian municipality (schemas/classifiers/municipalities.json)`);
  }
  return {
    personCode: code, status, registeredOn, ...(deregisteredOn === undefined ? {} : { deregisteredOn }), profilingGroup, municipality,
    updatedAt: instant(requiredLeaf(f, 'UpdatedAt', path), at('UpdatedAt')),
  };
}

/** A profile's children in the XSD's order. */
export function profileFields(p: BurvisProfile): XmlFields {
  return [
    ['PersonCode', p.personCode], ['Status', p.status], ['RegisteredOn', p.registeredOn], ['DeregisteredOn', p.deregisteredOn],
    ['ProfilingGroup', p.profilingGroup], ['Municipality', p.municipality], ['UpdatedAt', p.updatedAt],
  ];
}

const CP_SLOTS = [
  { name: 'Id' }, { name: 'PersonCode' }, { name: 'Municipality' }, { name: 'AgreedOn' }, { name: 'Duties' },
  { name: 'Services', min: 0 }, { name: 'ValidTo', min: 0 },
] as const;

/** A `CoParticipation` element read strictly into canonical form; throws BurvisFieldError under `path`. */
export function readCoParticipation(el: XElement, path: string): CoParticipation {
  const f = readSequence(el, BURVIS_NS, CP_SLOTS, path);
  const at = (name: string): string => childPath(path, name);
  const id = token(requiredLeaf(f, 'Id', path), at('Id'), MAX_TOKEN);
  const code = personCode(requiredLeaf(f, 'PersonCode', path), at('PersonCode'));
  const municipality = atvk(requiredLeaf(f, 'Municipality', path), at('Municipality'));
  const agreedOn = date(requiredLeaf(f, 'AgreedOn', path), at('AgreedOn'));

  const dutiesPath = at('Duties');
  const dutyEls = readSequence(f.get('Duties')![0], BURVIS_NS, [{ name: 'Duty', max: Infinity }], dutiesPath).get('Duty')!;
  const duties = dutyEls.map((d, i) => oneOf(leafText(d, `${dutiesPath}/Duty[${i + 1}]`), `${dutiesPath}/Duty[${i + 1}]`, DUTIES));

  const servicesEl = f.get('Services')![0];
  let services: string[] | undefined;
  if (servicesEl) {
    const servicesPath = at('Services');
    services = readSequence(servicesEl, BURVIS_NS, [{ name: 'Service', max: Infinity }], servicesPath).get('Service')!.map((s, i) => {
      const field = `${servicesPath}/Service[${i + 1}]`;
      const v = leafText(s, field);
      if (!v) throw new BurvisFieldError(field, 'is empty');
      if (charCount(v) > MAX_SERVICE_CHARS) throw new BurvisFieldError(field, `has ${charCount(v)} characters; NVA accepts at most ${MAX_SERVICE_CHARS}`);
      return v;
    });
  }
  const validToText = optionalLeaf(f, 'ValidTo', path);
  const validTo = validToText === undefined ? undefined : date(validToText, at('ValidTo'));
  if (validTo !== undefined && validTo < agreedOn) throw new BurvisFieldError(at('ValidTo'), `${validTo} is before AgreedOn ${agreedOn}`);
  return {
    id, personCode: code, municipality, agreedOn, duties,
    ...(services === undefined ? {} : { services }),
    ...(validTo === undefined ? {} : { validTo }),
  };
}

/** A co-participation's children in the XSD's order; an empty services list is left out (Services needs a Service). */
export function coParticipationFields(cp: CoParticipation): XmlFields {
  return [
    ['Id', cp.id], ['PersonCode', cp.personCode], ['Municipality', cp.municipality], ['AgreedOn', cp.agreedOn],
    ['Duties', cp.duties.map((d) => ['Duty', d] as const)],
    ['Services', cp.services?.length ? cp.services.map((s) => ['Service', s] as const) : undefined],
    ['ValidTo', cp.validTo],
  ];
}

/**
 * A canonical co-participation checked by the very rules NVA applies to what we send (written and
 * read back), in the form it is sent: personal code without hyphen, Id with whitespace collapsed.
 * Throws BurvisFieldError naming the element (`CoParticipation/Services/Service[2]`).
 */
export function checkCoParticipation(cp: CoParticipation): CoParticipation {
  const shapeProblem = !cp || typeof cp !== 'object' ? 'must be an object'
    : !Array.isArray(cp.duties) ? 'duties must be a list'
      : cp.services !== undefined && !Array.isArray(cp.services) ? 'services must be a list' : null;
  if (shapeProblem) throw new BurvisFieldError('CoParticipation', shapeProblem);
  let xml: string;
  try {
    xml = soapPayload(BURVIS_NS, 'CoParticipation', coParticipationFields(cp));
  } catch (e) {
    throw new BurvisFieldError('CoParticipation', (e as Error).message);
  }
  return readCoParticipation(parseXmlTree(xml), 'CoParticipation');
}

/** The content two submissions of one Id are compared by: duties are a set, so their order does not make a new version. */
export function coParticipationContent(cp: CoParticipation): string {
  return JSON.stringify({ ...cp, duties: [...new Set(cp.duties)].sort() });
}
