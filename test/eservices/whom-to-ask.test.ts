/**
 * Whom a person's application status asks (docs/partners/portal-applications.md, "Whom the hub
 * asks"): the municipality of the declared residence and every one that decided about the person,
 * each once, with why; every connected one only for a person the hub knows nothing of.
 */
import assert from 'node:assert/strict';
import { whomToAsk } from '../../eservices/applications/whom-to-ask.ts';
import type { DecidedApplication } from '../../store/applications.ts';

const decision = (municipality: string, decisionId: string): DecidedApplication =>
  ({ kind: 'benefit', municipality, source: 'sopa', decisionId, code: 'GMI', outcome: 'GRANTED', period: { from: '2026-10' } });

describe('whom the application status asks', () => {
  it('names the residence and each deciding municipality once, with both reasons where they meet', () => {
    const whom = whomToAsk({ residence: '0001000', decided: [decision('0002000', 'D1'), decision('0001000', 'R1'), decision('0002000', 'D2')] });
    assert.deepEqual(whom, new Map([['0001000', ['declared-residence', 'decisions']], ['0002000', ['decisions']]]));
  });

  it('asks the residence alone for a person with no decision yet: where a first application goes', () => {
    assert.deepEqual(whomToAsk({ residence: '0040000', decided: [] }), new Map([['0040000', ['declared-residence']]]));
  });

  it('asks every connected municipality only when the hub knows none of the person\'s', () => {
    assert.equal(whomToAsk({ decided: [] }), 'every-connected');
  });
});
