/**
 * The route contracts (engine/http/openapi.ts) of a person's application status and decision
 * notices; the classifier values come from the canonical model the answers are built from.
 */
import { S, type JsonSchema, type RouteContract } from '../../engine/http/openapi.ts';
import { APPLICATION_STATES, BENEFIT_TYPES, HOUSEHOLD_STATUSES, SERVICE_TYPES } from '../../schemas/canonical/model.ts';

const APPLIED_FOR: JsonSchema = {
  oneOf: [
    S.obj({ kind: S.oneOf(['household-status']), status: S.oneOf(HOUSEHOLD_STATUSES) }),
    S.obj({ kind: S.oneOf(['benefit']), benefitType: S.oneOf(BENEFIT_TYPES) }),
    S.obj({ kind: S.oneOf(['service']), serviceType: S.oneOf(SERVICE_TYPES) }),
  ],
};

const APPLICATION_STATUS: JsonSchema = S.obj({
  requestId: S.str({ description: 'The portal\'s request id (the assertion\'s jti).' }),
  complete: S.bool({ description: 'False when a municipal system with an online interface did not answer: open applications may be missing.' }),
  decided: S.arr(S.obj({
    municipality: S.atvk(), municipalityName: S.str(), decisionId: S.str(), appliedFor: APPLIED_FOR,
    outcome: S.oneOf(['GRANTED', 'REFUSED', 'TERMINATED', 'SUSPENDED']),
    period: S.obj({ from: S.str() }, { to: S.str() }, { description: 'Dates for a status or a service, months for a benefit or the assistant service; no `to`: open-ended.' }),
  }, {
    decisionDate: S.date(), months: S.int({ minimum: 0 }), amount: S.eur(),
    volume: S.obj({ amount: S.str(), unit: S.str() }),
    assistant: S.obj({ category: S.str(), grantedHours: S.str(), usedHours: S.str() }),
  })),
  open: S.arr(S.obj({
    municipality: S.atvk(), municipalityName: S.str(), applicationId: S.str(), receivedOn: S.date(), appliedFor: APPLIED_FOR, state: S.oneOf(APPLICATION_STATES),
  }, { expectedDecisionBy: S.date() })),
  sources: S.arr(S.obj({
    municipality: S.atvk(), municipalityName: S.str(), openApplications: S.oneOf(['answered', 'unavailable', 'decided-only']),
    basis: S.arr(S.oneOf(['declared-residence', 'decisions', 'no-known-municipality']), {
      description: 'Why the municipality was asked: the person\'s declared residence, its decisions about the person, or (alone) the hub knows of no municipality of the person\'s and asked every connected one.',
    }),
  }, { partner: S.str(), system: S.str(), reason: S.str() }, { description: 'One per municipality of the person\'s (absent partner and system: not connected to the hub).' })),
}, {}, { $id: 'eservices/application-status', title: 'ApplicationStatus' });

export const APPLICATIONS_CONTRACT: RouteContract = {
  operationId: 'getMyApplications', tag: 'eservices-applications', auth: ['portal'],
  summary: 'The person\'s applications in every municipality: decided and open',
  description: 'For the person the Portal-Assertion names (act: person), and nobody else. No query parameters. Open applications are asked of the municipality of the person\'s declared residence and of every municipality that decided about them (every connected one when the hub knows of none). A municipality that does not answer makes the answer `complete: false`, not an error.',
  responses: { 200: { description: 'The status.', schema: APPLICATION_STATUS } },
  errors: [400, 401, 403, 429, 503],
};

export const DECISION_NOTICES_CONTRACT: RouteContract = {
  operationId: 'getMyDecisionNotices', tag: 'eservices-applications', auth: ['portal'],
  summary: 'The notices of decisions sent, or being sent, to the person\'s e-address',
  responses: {
    200: {
      description: 'The notices, newest first.',
      schema: S.obj({
        notices: S.arr(S.obj({
          id: S.str(), subject: S.str(), status: S.oneOf(['sending', 'delivered', 'no-eaddress', 'failed']), municipality: S.nullable(S.atvk()), createdAt: S.instant(),
        }, { deliveredAt: S.instant(), eaddressRef: S.str() })),
      }),
    },
  },
  errors: [401, 403, 429, 503],
};
