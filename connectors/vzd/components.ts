/**
 * VZD's GetPersonProperty as the `call:` component behind a property query (vzd.md): what real
 * property one person owns, as {personCode, properties}. Endpoint and certificate come from the
 * vzd partner of partners.yaml (the engine resolves them into `ctx.target`); the request arrives
 * already checked by the query API.
 */
import { ValidationError, defineCall, type Call, type CallSpec, socketsConfig, socketsOf } from '../../engine/index.ts';
import { createVzdClient } from './outbound.ts';

const CONFIG = socketsConfig('VZD');

export const vzdGetProperty: CallSpec = defineCall({
  name: 'vzd/get-property', status: 'beta', partner: 'vzd', config: CONFIG,
  summary: 'GetPersonProperty: the real property one person owns (cadastre number, kind, share, cadastral value, municipality, address), as {personCode, properties}.',
  create(options, ctx): Call {
    const client = createVzdClient({
      baseUrl: ctx.target.endpoint, identity: ctx.identity, vzdCertPem: ctx.target.certPem,
      maxSockets: socketsOf(options),
    });
    return {
      async call(req, { timeoutMs }) {
        // VZD answers what the person owns today: a period would be silently ignored, so it is refused.
        for (const field of ['periodFrom', 'periodTo'] as const) {
          if (req[field] !== undefined) throw new ValidationError('HUB_ERR_QUERY_INVALID', `${field}: VZD answers the property a person owns today and takes no period`, 400, { field });
        }
        const answer = await client.propertyOf(req.personCode, { requesterId: req.requesterId, purpose: req.purpose, requestId: req.requestId, timeoutMs });
        return { personCode: answer.personCode, properties: answer.properties };
      },
      async close() { client.close(); },
    };
  },
});
