/**
 * The hub's client of LIETIS's open-applications service (docs/partners/lietis-applications.md):
 * signs each GetOpenApplications with the hub's identity, verifies each answer against LIETIS's
 * registered certificate and reads it strictly into canonical OpenApplications
 * (applications-contract.ts). Faults and transport failures become ConnectorErrors by the rule every
 * signed client shares (engine readSignedAnswer, faultToError): unreachable, HTTP 502/503/504 and
 * UNAVAILABLE a retryable 503, no answer in time a retryable 504, a bad signature, another fault or
 * an answer the XSD does not allow a final 502.
 */
import { randomUUID } from 'node:crypto';
import {
  ConnectorError, defineCall, keepAliveAgent, normalizePersonCode, parseXmlTree, signedSoapCall, unexpectedAnswer,
  type Call, type CallSpec, type SigningIdentity, type SoapExchange,
} from '../../engine/index.ts';
import {
  InvalidApplicationsMessage, LIETIS_ANSWER_MS, LIETIS_APPLICATIONS_NS, OPEN_APPLICATIONS, openApplicationsRequest, readOpenApplicationsRequest,
  readOpenApplicationsResponse, type OpenApplicationsAnswer,
} from './applications-contract.ts';

export interface LietisApplicationsClientOptions {
  /** partners.yaml's id of the LIETIS partner, for messages. */
  partnerId: string;
  /** The GetOpenApplications endpoint (partners.yaml `endpoint` of the LIETIS partner). */
  endpoint: string;
  /** The hub's signing key and certificate (the one LIETIS has registered). */
  identity: SigningIdentity;
  /** LIETIS's certificate (partners.yaml `certificate`): answers signed with anything else are refused. */
  lietisCertPem: string;
  /** Deadline of one call. @defaultValue twice LIETIS's documented answer time */
  timeoutMs?: number;
  /** Connections kept open to LIETIS. @defaultValue 8 */
  maxSockets?: number;
  /** Sees every exchange (tests, audit hashes). */
  onExchange?(e: LietisApplicationsExchange): void;
}

export interface LietisApplicationsExchange extends SoapExchange {
  operation: typeof OPEN_APPLICATIONS.name;
}

export interface LietisApplicationsQuery {
  /** Why the hub asks (e.g. the portal request it answers); 1–500 characters. */
  purpose: string;
  /** @defaultValue a random UUID */
  requestId?: string;
  timeoutMs?: number;
}

export interface LietisApplicationsClient {
  openApplications(personCode: string, q: LietisApplicationsQuery): Promise<OpenApplicationsAnswer>;
  close(): void;
}

export function createLietisApplicationsClient(o: LietisApplicationsClientOptions): LietisApplicationsClient {
  const agent = keepAliveAgent(o.endpoint, o.maxSockets ?? 8);
  const answerSpec = { partner: o.partnerId, operation: OPEN_APPLICATIONS.name, certPem: o.lietisCertPem, ns: LIETIS_APPLICATIONS_NS, response: OPEN_APPLICATIONS.response };
  return {
    async openApplications(personCode, q) {
      const payload = openApplicationsRequest({ requestId: q.requestId ?? randomUUID(), purpose: q.purpose, personCode: normalizePersonCode(personCode) ?? personCode });
      // A request LIETIS would refuse is the hub's own fault: said here, before the person's code leaves.
      try {
        readOpenApplicationsRequest(parseXmlTree(payload));
      } catch (e) {
        if (!(e instanceof InvalidApplicationsMessage)) throw e;
        throw new ConnectorError('HUB_ERR_PARTNER_FAULT', `the hub's request to ${o.partnerId} (LIETIS) breaks lietis-applications.xsd: ${e.message}`,
          { retryable: false, httpStatus: 502, details: { connector: 'lietis', partnerId: o.partnerId, operation: OPEN_APPLICATIONS.name, field: e.path } });
      }
      return signedSoapCall<LietisApplicationsExchange, OpenApplicationsAnswer>({ operation: OPEN_APPLICATIONS.name }, payload, {
        url: o.endpoint, identity: o.identity, answer: answerSpec, onExchange: o.onExchange,
        post: { timeoutMs: q.timeoutMs ?? o.timeoutMs ?? 2 * LIETIS_ANSWER_MS, soapAction: OPEN_APPLICATIONS.soapAction, agent, partner: o.partnerId, maxResponseBytes: 1024 * 1024 },
      }, (answer) => {
        try {
          return readOpenApplicationsResponse(answer);
        } catch (e) {
          if (e instanceof InvalidApplicationsMessage) throw unexpectedAnswer(answerSpec, e.problem, e.path);
          throw e;
        }
      });
    },
    close() { agent.destroy(); },
  };
}

/** The `call:` component a route names: one per LIETIS partner, its endpoint and certificate from partners.yaml. */
export const lietisOpenApplications: CallSpec = defineCall({
  name: 'lietis/open-applications', status: 'beta', partner: 'lietis',
  summary: 'A person\'s applications LIETIS has registered and not yet decided (lietis-applications.md): signed SOAP GetOpenApplications, answered with the municipality and its open applications.',
  create(_options, ctx): Call {
    const client = createLietisApplicationsClient({ partnerId: ctx.target.partnerId, endpoint: ctx.target.endpoint, identity: ctx.identity, lietisCertPem: ctx.target.certPem });
    return {
      async call(req, { timeoutMs }) {
        const a = await client.openApplications(req.personCode, { purpose: req.purpose, requestId: req.requestId, timeoutMs });
        return { municipality: a.municipality, applications: a.applications };
      },
      async close() { client.close(); },
    };
  },
});
