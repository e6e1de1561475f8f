/** The e-services' test bed: a hub whose portal is the portal simulator, with the e-address simulator as its e-address. */
import { startPortalSimulator, type PortalSimulator } from '../../connectors/portal/sandbox.ts';
import { startEAddressSimulator, type EAddressSimulator } from '../../connectors/eaddress/sandbox.ts';
import { eservicePartners, startTestHub, testSigningIdentity, type TestHub } from './hub.ts';

export interface EServiceBed {
  hub: TestHub;
  portal: PortalSimulator;
  eaddress: EAddressSimulator;
  stop(): Promise<void>;
}

export async function startEServiceBed(): Promise<EServiceBed> {
  const [portal, eaddress] = await Promise.all([startPortalSimulator({ identity: await testSigningIdentity() }), startEAddressSimulator()]);
  const hub = await startTestHub({ partners: eservicePartners({ portalCertPem: portal.certPem, eaddress: { endpoint: eaddress.url, token: eaddress.token } }) });
  return { hub, portal, eaddress, async stop() { await hub.stop(); await eaddress.close(); } };
}
