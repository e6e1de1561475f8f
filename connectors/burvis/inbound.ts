/**
 * The hub's own SOAP endpoint /soap/burvis, operation SubmitProfilingChanges (hub-burvis.wsdl): NVA
 * pushes profile changes, and the route queues each for delivery to the system of the profile's
 * municipality. The engine verifies WS-Security, refuses repeats with other content and signs the
 * answer; this reads the verified payload strictly and writes the answer and faults.
 */
import { SoapRequestError, defineSoapEndpoint, soapFault, soapPayload, type SoapEndpointSpec, type XElement } from '../../engine/index.ts';
import { BURVIS_NS, HUB_BURVIS_NS, MAX_PUSH_PROFILES, MAX_TOKEN, SUBMIT_PROFILING_CHANGES, readProfile } from './messages.ts';
import { municipalityCodes } from './municipalities.ts';
import { BurvisFieldError, readSequence, requiredLeaf, token } from './xml-read.ts';

function read(payload: XElement) {
  const { request } = SUBMIT_PROFILING_CHANGES;
  if (payload.uri !== HUB_BURVIS_NS || payload.local !== request) {
    throw new SoapRequestError('INVALID_REQUEST', `the Body holds ${payload.local} in ${JSON.stringify(payload.uri)}; expected ${request} in ${HUB_BURVIS_NS}`);
  }
  try {
    const f = readSequence(payload, HUB_BURVIS_NS, [{ name: 'RequestId' }, { name: 'Profiles' }], '');
    const requestId = token(requiredLeaf(f, 'RequestId', ''), 'RequestId', MAX_TOKEN);
    // The Profile elements are NVA's own (burvis-municipal.xsd), in its namespace, not the hub's.
    const profiles = readSequence(f.get('Profiles')![0], BURVIS_NS, [{ name: 'Profile', max: MAX_PUSH_PROFILES }], 'Profiles').get('Profile')!;
    const known = municipalityCodes();
    return { requestId, items: profiles.map((el, i) => readProfile(el, `Profiles/Profile[${i + 1}]`, { municipalities: known })) };
  } catch (e) {
    if (e instanceof BurvisFieldError) throw new SoapRequestError('INVALID_REQUEST', e.message);
    throw e;
  }
}

export const burvisSubmitProfilingChanges: SoapEndpointSpec<'burvis.profile'> = defineSoapEndpoint({
  name: 'burvis/submit-profiling-changes', status: 'beta',
  summary: 'SubmitProfilingChanges: NVA pushes profile changes; answered once each profile is queued for its municipality\'s system.',
  service: 'burvis', operation: 'SubmitProfilingChanges', partner: 'burvis', produces: 'burvis.profile',
  namespace: HUB_BURVIS_NS, wsdl: 'hub-burvis.wsdl',
  read,
  respond: (requestId, count) => soapPayload(HUB_BURVIS_NS, SUBMIT_PROFILING_CHANGES.response, [['RequestId', requestId], ['Accepted', true], ['Queued', count]]),
  fault: (e) => soapFault(HUB_BURVIS_NS, { faultcode: e.errorCode === 'UNAVAILABLE' ? 'Server' : 'Client', faultstring: e.message, errorCode: e.errorCode }),
});
