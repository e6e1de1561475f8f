/**
 * SOAP 1.1 plumbing shared by every signed-SOAP connector and simulator (VSAA, VDEĀVK, BURVIS,
 * LIETIS): envelopes and faults as partners/README.md describes them, reading a verified payload,
 * and one HTTP POST with a hard deadline whose failures arrive as typed ConnectorErrors, so that
 * each connector only maps its own payloads.
 */
import http from 'node:http';
import https from 'node:https';
import { ConnectorError } from '../core/errors.ts';
import { postHttp } from './http-post.ts';
import { SOAP11_NS, signSoapBody, verifyEnvelope, type CanonicalXml } from './ws-security.ts';
import type { SigningIdentity } from './signing.ts';
import { childElement, childElements, textOf, type XElement } from '../xml/tree.ts';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
/** Escapes text or an attribute value for XML. */
export const xmlEscape = (s: string): string => (/[&<>"]/.test(s) ? s.replace(/[&<>"]/g, (c) => ESC[c]) : s);

/** A leaf value; undefined leaves are left out, so optional elements need no special casing. */
export type XmlLeaf = string | number | boolean | undefined;
/** Ordered children; a name may repeat (a list is its items one after another). */
export type XmlFields = readonly (readonly [name: string, value: XmlLeaf | XmlFields])[];

// Characters XML 1.0 cannot carry at all, even escaped.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const C14N_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };

/** Text escaped exactly as exclusive c14n writes it, so that what is built here needs no canonicalization. */
function canonicalText(s: string): string {
  if (NOT_XML.test(s)) throw new Error(`a control character cannot be sent in XML: ${JSON.stringify(s)}`);
  return /[&<>\r]/.test(s) ? s.replace(/[&<>\r]/g, (c) => C14N_TEXT[c]) : s;
}

/** `[['A', '1'], ['B', [['C', 'x'], ['C', 'y']]]]` → `<A>1</A><B><C>x</C><C>y</C></B>` (default namespace, canonical form). */
export function xmlFields(fields: XmlFields): string {
  let out = '';
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    out += typeof value === 'object' ? `<${name}>${xmlFields(value)}</${name}>` : `<${name}>${canonicalText(String(value))}</${name}>`;
  }
  return out;
}

/** A payload element in its own default namespace, `<Name xmlns="ns">…</Name>`, in canonical form. */
export const soapPayload = (ns: string, name: string, fields: XmlFields): CanonicalXml =>
  `<${name} xmlns="${ns}">${xmlFields(fields)}</${name}>` as CanonicalXml;

/** An unsigned SOAP 1.1 envelope around one payload; sign it with signEnvelope. */
export const soapEnvelope = (payload: string): string =>
  `<soap:Envelope xmlns:soap="${SOAP11_NS}"><soap:Body>${payload}</soap:Body></soap:Envelope>`;

export interface SoapFault {
  /** `Client`: the request is at fault, do not repeat it; `Server`: retry later. */
  faultcode: 'Client' | 'Server';
  faultstring: string;
  /** The partner's detail/ErrorCode, e.g. PERSON_NOT_FOUND. */
  errorCode: string;
}

/** The soap:Fault (for signSoapBody or soapEnvelope) with detail/ErrorCode in the service's namespace, in canonical form. */
export const soapFault = (ns: string, f: SoapFault): CanonicalXml =>
  (`<soap:Fault><faultcode>soap:${f.faultcode}</faultcode><faultstring>${canonicalText(f.faultstring)}</faultstring>`
  + `<detail><ErrorCode xmlns="${ns}">${canonicalText(f.errorCode)}</ErrorCode></detail></soap:Fault>`) as CanonicalXml;

/** The fault a Body holds, or undefined when the Body holds an ordinary payload. */
export function readSoapFault(body: XElement): SoapFault | undefined {
  const fault = childElement(body, SOAP11_NS, 'Fault');
  if (!fault) return undefined;
  const leaf = (name: string): string => {
    const el = childElements(fault).find((c) => c.local === name);
    return el ? textOf(el).trim() : '';
  };
  const code = leaf('faultcode');
  const detail = childElements(fault).find((c) => c.local === 'detail');
  const errorEl = detail && childElements(detail).find((c) => c.local === 'ErrorCode');
  return {
    faultcode: /(^|:)Client$/.test(code) ? 'Client' : 'Server',
    faultstring: leaf('faultstring'),
    errorCode: errorEl ? textOf(errorEl).trim() : '',
  };
}

/** Leaf children by local name (`<A>1</A><B>2</B>` → `{A: '1', B: '2'}`), trimmed; nested elements are skipped. */
export function leafValues(el: XElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of childElements(el)) if (!c.children.some((k) => typeof k === 'object' && 'local' in k)) out[c.local] = textOf(c).trim();
  return out;
}

export interface SoapPostOptions {
  timeoutMs: number;
  soapAction?: string;
  agent?: http.Agent;
  /** The partner's name for error messages and details (e.g. `vsaa`). */
  partner: string;
  /** Responses larger than this are refused. @defaultValue 4 MiB */
  maxResponseBytes?: number;
}

export interface SoapHttpResponse {
  status: number;
  contentType: string;
  body: string;
}

/**
 * POSTs a SOAP 1.1 message. Resolves with any HTTP answer (a SOAP fault comes with status 500);
 * rejects with ConnectorError HUB_ERR_PARTNER_UNAVAILABLE (503, retryable) when the partner cannot
 * be reached, or HUB_ERR_PARTNER_TIMEOUT (504, retryable) when it does not answer within timeoutMs.
 */
export async function postSoap(url: string, xml: string, opts: SoapPostOptions): Promise<SoapHttpResponse> {
  const target = new URL(url);
  const limit = opts.maxResponseBytes ?? 4 * 1024 * 1024;
  const res = await postHttp(target, xml, {
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${opts.soapAction ?? ''}"` },
    timeoutMs: opts.timeoutMs, agent: opts.agent, details: { connector: opts.partner, url: `${target.origin}${target.pathname}` },
    limit: { bytes: limit, over: 'refuse' },
    messages: {
      timeout: `${opts.partner} did not answer within ${opts.timeoutMs} ms`,
      unreachable: (errno) => `${opts.partner} cannot be reached (${errno})`,
      tooLarge: `${opts.partner} sent a response over ${limit} bytes`,
    },
  });
  return { status: res.status, contentType: String(res.headers['content-type'] ?? ''), body: res.body };
}

/**
 * The ConnectorError for a partner's SOAP fault, by its documented ErrorCode: PERSON_NOT_FOUND is
 * a final 404, UNAVAILABLE (which VSAA also answers above its rate limit) a retryable 503, and
 * anything else a final 502 that names the partner's code.
 */
export function faultToError(partner: string, operation: string, f: SoapFault): ConnectorError {
  const details = { connector: partner, operation, partnerCode: f.errorCode, faultcode: f.faultcode };
  const text = `${partner} ${operation}: ${f.errorCode || 'fault'}${f.faultstring ? ` (${f.faultstring})` : ''}`;
  switch (f.errorCode) {
    case 'PERSON_NOT_FOUND':
      return new ConnectorError('HUB_ERR_PARTNER_NOT_FOUND', text, { retryable: false, httpStatus: 404, details });
    case 'UNAVAILABLE':
      return new ConnectorError('HUB_ERR_PARTNER_UNAVAILABLE', text, { retryable: true, httpStatus: 503, details });
    case 'SIGNATURE_INVALID':
      return new ConnectorError('HUB_ERR_PARTNER_REJECTED_SIGNATURE', text, { retryable: false, httpStatus: 502, details });
    default:
      return new ConnectorError('HUB_ERR_PARTNER_FAULT', text, { retryable: f.faultcode === 'Server', httpStatus: 502, details });
  }
}

export interface SignedAnswerSpec {
  /** The partner as messages name it (`vsaa`, `vdeavk`, `burvis`). */
  partner: string;
  operation: string;
  /** The partner's registered certificate: an answer signed otherwise is refused. */
  certPem: string;
  /** The namespace and element name the Body must hold. */
  ns: string;
  response: string;
}

/**
 * The verified payload of a partner's answer to a signed call, by one rule for every agency
 * client: a front end's 429/502/503/504 is a retryable 503; anything that is not SOAP, or not
 * signed with the partner's certificate, a final 502; a signed soap:Fault maps by faultToError;
 * a 200 must hold `{ns}response`. Reading the payload's fields is the connector's.
 */
export function readSignedAnswer(res: SoapHttpResponse, a: SignedAnswerSpec): XElement {
  const where = `${a.partner} ${a.operation}`;
  const details = { connector: a.partner, operation: a.operation };
  const looksXml = /xml/i.test(res.contentType) && res.body.trimStart().startsWith('<');
  if (!looksXml || (res.status !== 200 && res.status !== 500)) {
    if (res.status === 502 || res.status === 503 || res.status === 504 || res.status === 429) {
      throw new ConnectorError('HUB_ERR_PARTNER_UNAVAILABLE', `${where}: HTTP ${res.status}`, { retryable: true, httpStatus: 503, details: { ...details, status: res.status } });
    }
    throw unexpectedAnswer(a, `HTTP ${res.status} ${res.contentType || 'without a content type'}`);
  }
  const verified = verifyEnvelope(res.body, a.certPem);
  if (!verified.ok) {
    throw new ConnectorError('HUB_ERR_PARTNER_SIGNATURE', `${where}: the answer's signature is not valid: ${verified.reason}`, { retryable: false, httpStatus: 502, details });
  }
  const fault = readSoapFault(verified.body);
  if (fault) throw faultToError(a.partner, a.operation, fault);
  if (res.status !== 200) throw unexpectedAnswer(a, `HTTP ${res.status} without a soap:Fault`);
  const payload = verified.payload;
  if (!payload || payload.uri !== a.ns || payload.local !== a.response) throw unexpectedAnswer(a, `no ${a.response} in the Body`);
  return payload;
}

/** HUB_ERR_PARTNER_RESPONSE: the answer is not what the partner's XSD promises (`field` names where). */
export function unexpectedAnswer(a: Pick<SignedAnswerSpec, 'partner' | 'operation'>, why: string, field?: string): ConnectorError {
  return new ConnectorError('HUB_ERR_PARTNER_RESPONSE', `${a.partner} ${a.operation}: unexpected answer: ${field ? `${field}: ` : ''}${why}`, {
    retryable: false, httpStatus: 502, details: { connector: a.partner, operation: a.operation, ...(field ? { field } : {}) },
  });
}

/** What every signed call to an agency leaves for its client's onExchange observer. */
export interface SoapExchange {
  requestXml: string;
  responseXml?: string;
  status?: number;
  error?: ConnectorError;
}

/**
 * One signed call to an agency: signs `payload`, posts it, reads the verified answer by
 * readSignedAnswer and then with `read`. `record` (the client's own description of the call) is
 * completed with the request, the answer and any ConnectorError, and handed to `onExchange`
 * whatever happened, so tests and audits see every call, failed ones included.
 */
export async function signedSoapCall<R extends SoapExchange, T>(
  record: Omit<R, keyof SoapExchange>, payload: CanonicalXml,
  o: { url: string; identity: SigningIdentity; post: SoapPostOptions; answer: SignedAnswerSpec; onExchange?: (exchange: R) => void },
  read: (payload: XElement) => T,
): Promise<T> {
  const requestXml = signSoapBody(payload, o.identity);
  const ex = { ...record, requestXml } as R;
  try {
    const res = await postSoap(o.url, requestXml, o.post);
    ex.status = res.status;
    ex.responseXml = res.body;
    return read(readSignedAnswer(res, o.answer));
  } catch (e) {
    if (e instanceof ConnectorError) ex.error = e;
    throw e;
  } finally {
    o.onExchange?.(ex);
  }
}

/** A keep-alive agent for a partner's base URL (http or https): every call to it reuses connections. */
export function keepAliveAgent(baseUrl: string, maxSockets = 32): http.Agent {
  return new (new URL(baseUrl).protocol === 'https:' ? https.Agent : http.Agent)({ keepAlive: true, maxSockets });
}

/**
 * Keep-alive agents for many receivers (one per scheme; an agent keeps its sockets per host), for
 * deliveries that go to every municipality's own endpoint.
 */
export class SchemeAgents {
  private readonly agents: Record<string, http.Agent>;
  constructor(maxSockets: number) {
    this.agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets }), 'https:': new https.Agent({ keepAlive: true, maxSockets }) };
  }

  /** The agent for an endpoint, or undefined when it is not an http(s) URL. */
  for(endpoint: string): http.Agent | undefined {
    try {
      return this.agents[new URL(endpoint).protocol];
    } catch {
      return undefined;
    }
  }

  destroy(): void {
    for (const a of Object.values(this.agents)) a.destroy();
  }
}
