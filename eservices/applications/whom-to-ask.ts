/**
 * Which municipalities a person's application status asks for open applications
 * (docs/partners/portal-applications.md, "Whom the hub asks"): the one where the person has declared
 * residence today, which is the one responsible for their social assistance and services (Law on
 * Social Services and Social Assistance, s. 9), and every one that has decided about them. Only
 * those learn that the person asked: the other municipalities' systems never see the person's
 * code. A person the hub knows nothing of (no decision loaded, no residence in PMLP's changes) is
 * asked of every connected municipality, as the only way to find an application registered
 * anywhere.
 */
import type { PersonApplications } from '../../store/applications.ts';

/** Why a municipality is asked about the person. */
export type AskBasis = 'declared-residence' | 'decisions' | 'no-known-municipality';

/** ATVK → why it is asked; `every-connected` when the hub knows of no municipality of the person's. */
export type WhomToAsk = Map<string, AskBasis[]> | 'every-connected';

export function whomToAsk(person: PersonApplications): WhomToAsk {
  const whom = new Map<string, AskBasis[]>();
  if (person.residence) whom.set(person.residence, ['declared-residence']);
  for (const d of person.decided) {
    const basis = whom.get(d.municipality);
    if (!basis) whom.set(d.municipality, ['decisions']);
    else if (!basis.includes('decisions')) basis.push('decisions');
  }
  return whom.size ? whom : 'every-connected';
}
