/**
 * The hub's own SOAP endpoints (DESIGN.md §4): `POST /soap/{service}` for each route with
 * `from: {soap: {service, operation}}`, `GET /soap/{service}?wsdl` (the WSDL of schemas/wsdl with
 * this hub's address) and `GET /xsd/{name}.xsd` (the schemas the WSDL imports by relative path).
 *
 * In order: the WS-Security signature against the certificate partners.yaml registers for the
 * sending agency, with a fresh Timestamp (SIGNATURE_INVALID otherwise, logged); access per partner
 * × route (ACCESS_DENIED); the operation and its fields (INVALID_REQUEST naming the field); then,
 * in one transaction, the RequestId and the route's effect. A repeated RequestId with the same
 * request is answered as the first time without a second effect; with another request it is
 * INVALID_REQUEST. Every push is audited (a row per person) before the answer leaves; when the
 * audit cannot be written the agency gets UNAVAILABLE and retries with the same RequestId.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SoapRequestError, type SoapEndpointSpec } from '../components/specs.ts';
import type { Registry } from '../components/registry.ts';
import type { PartnerDef, RouteDef } from '../config/types.ts';
import type { Logger } from '../core/logger.ts';
import type { SigningIdentity } from '../soap/signing.ts';
import type { FlowRunner } from '../runtime/flows.ts';
import { signSoapBody, verifyEnvelope } from '../soap/ws-security.ts';
import { excC14n } from '../xml/c14n.ts';
import { firstInvalidUtf8, positionOf } from '../xml/encoding.ts';
import { readCertificate } from '../config/partners.ts';
import { partnerMatches } from './auth.ts';
import { factsOf } from '../runtime/deliveries.ts';
import { appendAuditBatch, findSoapRequest, recordSoapRequest, type Store } from '../../store/index.ts';

const SCHEMAS = new URL('../../schemas/', import.meta.url);
const XSD_NAMES = new Set(readdirSync(new URL('xsd/', SCHEMAS)).filter((n) => n.endsWith('.xsd')));

export interface SoapApiDeps {
  routes: RouteDef[];
  partners: PartnerDef[];
  configDir: string;
  registry: Registry;
  store: Store;
  flows: FlowRunner;
  identity: SigningIdentity;
  logger: Logger;
}

interface Endpoint {
  route: RouteDef;
  spec: SoapEndpointSpec;
  /** The agency's registered partners and their certificates, read once at start, not per request. */
  senders: [PartnerDef, string][];
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A repeat found another transaction's record first: roll back, then answer from that record. */
class Repeat extends Error {}

export function registerSoapApi(app: FastifyInstance, deps: SoapApiDeps): void {
  const endpoints = new Map<string, Endpoint>();
  for (const route of deps.routes) {
    if (!('soap' in route.from)) continue;
    const { service, operation } = route.from.soap;
    const spec = deps.registry.names('soapEndpoint').map((n) => deps.registry.get('soapEndpoint', n)!).find((s) => s.service === service && s.operation === operation)!;
    const senders = deps.partners.filter((p) => p.system === spec.partner && p.certificate)
      .map((p): [PartnerDef, string] => [p, readCertificate(p.certificate!, deps.configDir)]);
    endpoints.set(service, { route, spec, senders });
  }

  const send = (reply: FastifyReply, status: number, xml: string): FastifyReply =>
    reply.code(status).type('text/xml; charset=utf-8').send(xml);
  const fault = (reply: FastifyReply, spec: SoapEndpointSpec, e: SoapRequestError): FastifyReply =>
    send(reply, 500, signSoapBody(spec.fault(e), deps.identity));

  app.get<{ Params: { service: string } }>('/soap/:service', async (req, reply) => {
    const ep = endpoints.get(req.params.service);
    if (!ep || !('wsdl' in (req.query as object))) return reply.code(404).type('text/plain').send(`no WSDL here; try ${[...endpoints.keys()].map((s) => `/soap/${s}?wsdl`).join(', ')}`);
    const base = `${req.protocol}://${req.headers.host ?? 'localhost'}`;
    const wsdl = readFileSync(new URL(`wsdl/${ep.spec.wsdl}`, SCHEMAS), 'utf8').replace(/(<soap:address location=")[^"]*(")/, `$1${base}/soap/${req.params.service}$2`);
    return send(reply, 200, wsdl);
  });

  app.get<{ Params: { name: string } }>('/xsd/:name', async (req, reply) => {
    if (!XSD_NAMES.has(req.params.name)) return reply.code(404).type('text/plain').send(`no such schema; valid: ${[...XSD_NAMES].sort().join(', ')}`);
    return send(reply, 200, readFileSync(new URL(`xsd/${req.params.name}`, SCHEMAS), 'utf8'));
  });

  app.post<{ Params: { service: string } }>('/soap/:service', async (req: FastifyRequest<{ Params: { service: string } }>, reply) => {
    const ep = endpoints.get(req.params.service);
    if (!ep) return reply.code(404).type('text/plain').send(`no SOAP service "${req.params.service}"; valid: ${[...endpoints.keys()].sort().join(', ')}`);
    const { route, spec } = ep;
    const log = deps.logger.child({ route: route.id, soap: `${spec.service}/${spec.operation}` });
    // A message is UTF-8 (partners/README.md): a byte that is not is refused before anything reads it.
    if (Buffer.isBuffer(req.body)) {
      const bad = firstInvalidUtf8(req.body);
      if (bad >= 0) {
        const { line, column } = positionOf(req.body, bad);
        return fault(reply, spec, new SoapRequestError('INVALID_REQUEST', `line ${line}, byte ${column}: the message is not valid UTF-8`));
      }
    }
    const xml = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : typeof req.body === 'string' ? req.body : '';

    // The sender is whichever registered partner of the agency's system the signature verifies with.
    let partner: PartnerDef | undefined;
    let verified: ReturnType<typeof verifyEnvelope> | undefined;
    let reason = `no ${spec.partner} partner with a certificate is registered in partners.yaml`;
    for (const [p, certPem] of ep.senders) {
      const v = verifyEnvelope(xml, certPem);
      if (v.ok) { partner = p; verified = v; break; }
      reason = v.reason;
    }
    if (!partner || !verified?.ok) {
      log.warn({ reason, bytes: xml.length, ip: req.ip }, 'SOAP request refused: signature not valid');
      return fault(reply, spec, new SoapRequestError('SIGNATURE_INVALID', reason));
    }
    if (!route.access.partners.some((a) => partnerMatches(a, partner.id))) {
      log.warn({ partner: partner.id }, 'SOAP request refused: access denied');
      return fault(reply, spec, new SoapRequestError('ACCESS_DENIED', `partner ${partner.id} may not use ${spec.service}/${spec.operation} (route ${route.id})`));
    }
    const payload = verified.payload;
    const expected = `${spec.operation}Request`;
    if (!payload || payload.uri !== spec.namespace || payload.local !== expected) {
      return fault(reply, spec, new SoapRequestError('INVALID_REQUEST', `the Body must hold {${spec.namespace}}${expected}; it holds ${payload ? `{${payload.uri}}${payload.local}` : 'nothing'}`));
    }
    let request;
    try {
      request = spec.read(payload);
    } catch (e) {
      if (e instanceof SoapRequestError) return fault(reply, spec, e);
      throw e;
    }
    const digest = sha256(excC14n(payload));
    const { requestId, items } = request;
    const answerFor = async (count: number, outcome: string): Promise<FastifyReply> => {
      const subjects = [...new Set(items.map((i) => factsOf(i).subject))];
      try {
        await appendAuditBatch(deps.store.db, subjects.map((subject) => ({
          actor: partner.id, subject, service: `soap:${spec.service}/${spec.operation}`, purpose: route.id, outcome, requestSha256: digest, details: { requestId, items: items.length, count },
        })));
      } catch (e) {
        log.error({ err: e, requestId }, 'audit rows could not be written; the push is answered UNAVAILABLE');
        return fault(reply, spec, new SoapRequestError('UNAVAILABLE', 'the hub cannot write its audit log; repeat the request later with the same RequestId'));
      }
      log.info({ partner: partner.id, requestId, items: items.length, count, outcome }, 'SOAP push');
      return send(reply, 200, signSoapBody(spec.respond(requestId, count), deps.identity));
    };

    const earlier = async (): Promise<FastifyReply> => {
      const seen = (await findSoapRequest(deps.store.db, partner.id, requestId))!;
      if (seen.requestSha256 !== digest) {
        return fault(reply, spec, new SoapRequestError('INVALID_REQUEST', `RequestId ${requestId} was already used for another request; use a new RequestId for new content`));
      }
      return answerFor(seen.count, 'repeat');
    };
    try {
      if (await findSoapRequest(deps.store.db, partner.id, requestId)) return await earlier();
      const out = await deps.flows.apply(route, spec.produces, items, { routeId: route.id, actor: partner.id, origin: 'push', requestId }, {
        before: async (tx) => {
          if (!(await recordSoapRequest(tx, partner.id, requestId, spec.operation, digest, 0))) throw new Repeat();
          return true;
        },
        after: async (tx, o) => { await tx.query('UPDATE soap_requests SET count = $3 WHERE partner_id = $1 AND request_id = $2', [partner.id, requestId, o.count]); },
      });
      return await answerFor(out!.count, 'stored');
    } catch (e) {
      if (e instanceof Repeat) return earlier();
      log.error({ err: e, requestId }, 'SOAP push could not be stored');
      return fault(reply, spec, new SoapRequestError('UNAVAILABLE', 'the hub could not store the request; repeat it later with the same RequestId'));
    }
  });
}
