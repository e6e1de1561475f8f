/**
 * The hub's endpoint /soap/vdeavk, operation SubmitAssistantOpinions (hub-vdeavk.xsd): VDEĀVK pushes
 * new, changed or revoked opinions. The engine verifies the signature, checks access and repeats,
 * and stores; this reads the verified payload strictly (every refusal names the element and the
 * opinion's position, e.g. `Opinions/Opinion[3]/ValidTo`) and writes the answer and faults.
 */
import {
  SoapRequestError, defineSoapEndpoint, soapFault, soapPayload, type AssistantOpinion, type SoapEndpointSpec, type XElement,
} from '../../engine/index.ts';
import { HUB_VDEAVK_NS, HUB_VDEAVK_OPERATION, MAX_PUSH_OPINIONS, MAX_TOKEN, VDEAVK_NS, readOpinion } from './messages.ts';
import { SchemaViolation, leafText, readList, readSequence, token } from './xsd-values.ts';

/** The RequestId and opinions of a SubmitAssistantOpinionsRequest, or a SchemaViolation. */
function readSubmission(payload: XElement): { requestId: string; items: AssistantOpinion[] } {
  if (payload.uri !== HUB_VDEAVK_NS || payload.local !== HUB_VDEAVK_OPERATION.request) {
    throw new SchemaViolation(payload.local, `the Body must hold ${HUB_VDEAVK_OPERATION.request} in namespace ${HUB_VDEAVK_NS}`);
  }
  const f = readSequence(payload, HUB_VDEAVK_NS, '', [{ name: 'RequestId' }, { name: 'Opinions' }]);
  const requestId = token(leafText(f.get('RequestId')!, 'RequestId'), 'RequestId', MAX_TOKEN);
  const list = f.get('Opinions')!;
  const items = readList(list, VDEAVK_NS, 'Opinions', 'Opinion', 1);
  if (items.length > MAX_PUSH_OPINIONS) {
    throw new SchemaViolation('Opinions', `holds ${items.length} opinions; send at most ${MAX_PUSH_OPINIONS} per request`);
  }
  const opinions = items.map((el, i) => readOpinion(el, `Opinions/Opinion[${i + 1}]`));
  checkVersions(opinions);
  return { requestId, items: opinions };
}

/**
 * The same opinion twice in one request is fine as two versions (created, then revoked: the newer
 * ChangedAt wins when stored); with the same ChangedAt and other content it cannot be resolved.
 */
function checkVersions(opinions: AssistantOpinion[]): void {
  const first = new Map<string, number>();
  opinions.forEach((o, i) => {
    const key = `${o.opinionId}\u0000${o.changedAt}`;
    const j = first.get(key);
    if (j === undefined) first.set(key, i);
    else if (JSON.stringify(opinions[j]) !== JSON.stringify(o)) {
      throw new SchemaViolation(`Opinions/Opinion[${i + 1}]`, `OpinionId ${o.opinionId} with ChangedAt ${o.changedAt} is also Opinion[${j + 1}], with other content; one change of an opinion has one content`);
    }
  });
}

export const vdeavkSubmitOpinions: SoapEndpointSpec<'vdeavk.opinion'> = defineSoapEndpoint({
  name: 'vdeavk/submit-assistant-opinions', status: 'beta',
  summary: 'VDEĀVK pushes new, changed or revoked assistant-service opinions (SubmitAssistantOpinions at /soap/vdeavk).',
  service: 'vdeavk', operation: HUB_VDEAVK_OPERATION.name, partner: 'vdeavk', produces: 'vdeavk.opinion',
  namespace: HUB_VDEAVK_NS, wsdl: 'hub-vdeavk.wsdl',
  read(payload) {
    try {
      return readSubmission(payload);
    } catch (e) {
      if (e instanceof SchemaViolation) throw new SoapRequestError('INVALID_REQUEST', e.message);
      throw e;
    }
  },
  respond: (requestId, count) => soapPayload(HUB_VDEAVK_NS, HUB_VDEAVK_OPERATION.response, [['RequestId', requestId], ['Accepted', true], ['Stored', count]]),
  // UNAVAILABLE is the hub's own trouble (retry later); every other fault is the request's.
  fault: (e) => soapFault(HUB_VDEAVK_NS, { faultcode: e.errorCode === 'UNAVAILABLE' ? 'Server' : 'Client', faultstring: e.message, errorCode: e.errorCode }),
});
