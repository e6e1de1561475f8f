/**
 * The Ministry's decision on a provider's application, as a notice to the provider's official
 * e-address (docs/partners/eaddress.md; every legal person and institution has one). It is made
 * only from the decided application, so the same decision is the same message (one delivery id):
 * a repeated decision request never notifies twice.
 */
import type { EAddressMessage } from '../../schemas/canonical/model.ts';
import type { ProviderApplication } from '../../store/providers.ts';

const what = (a: ProviderApplication): string => (a.kind === 'amendment' ? 'grozījumu iesniegums' : 'reģistrācijas iesniegums');

/** The e-address takes 20 000 characters of text (eaddress.md); a long list is summed up per service. */
const MAX_LIST = 15_000;

function services(a: ProviderApplication): string {
  const full = a.services.map((s) => `- ${s.serviceType}: ${s.addresses.map((x) => `${x.address} (ATVK ${x.atvk})`).join('; ')}`).join('\n');
  return full.length <= MAX_LIST ? full : a.services.map((s) => `- ${s.serviceType}: ${s.addresses.length} adreses`).join('\n');
}

export function decisionNotice(a: ProviderApplication): EAddressMessage {
  const d = a.decision!;
  const day = d.decidedAt.slice(0, 10);
  const approved = a.status === 'approved';
  const subject = `Sociālo pakalpojumu sniedzēju reģistrs: ${what(a)} Nr. ${a.id} ${approved ? 'apstiprināts' : 'noraidīts'}`;
  const text = approved
    ? `Labklājības ministrija ${day} apstiprināja ${a.name} (reģ. Nr. ${a.regNo}) ${what(a)} Nr. ${a.id}. `
      + `Sniedzējs ir reģistrēts no ${d.validFrom}${d.validTo ? ` līdz ${d.validTo}` : ' bez beigu termiņa'} šiem pakalpojumiem:\n${services(a)}`
    : `Labklājības ministrija ${day} noraidīja ${a.name} (reģ. Nr. ${a.regNo}) ${what(a)} Nr. ${a.id}.\nPamatojums: ${d.reason}`
      + (a.kind === 'amendment' ? '\nIepriekš reģistrētie pakalpojumi paliek spēkā.' : '');
  return {
    kind: 'decision-notice',
    recipient: { regNo: a.regNo },
    // The audit row of the delivery names the person whose application was decided.
    personCode: a.representative,
    cause: `provider-decision:${a.id}`,
    subject,
    text,
  };
}
