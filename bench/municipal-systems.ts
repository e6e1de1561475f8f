/**
 * The municipal systems the e-services bench asks for open applications (SOPA Rīga and Jelgava over
 * JSON, LIETIS Daugavpils over signed SOAP), in a process of their own: LIETIS verifies and signs
 * every call, and in the load generator's process that work would hold up the generator's own
 * clock, a delay the baselines (a) and (b) never see. (A process for each system was tried: on two
 * cores the extra processes cost more in CPU and switching than they saved: p99 +60 ms.)
 * Run by bench/eservices.ts with `fork`; talks over IPC:
 *
 *   → { type: 'start', hubCertPem }                  ← { type: 'started', riga, jelgava, daugavpils }
 *   → { type: 'applications', riga, daugavpils }     ← { type: 'set' }     (personal code → open applications)
 *   → { type: 'close' }                              exits when the servers are closed
 */
import type { OpenApplication } from '../engine/index.ts';
import { startSopaApplicationsSimulator, type SopaApplicationsSimulator } from '../connectors/sopa/sandbox.ts';
import { startLietisApplicationsSimulator, type LietisApplicationsSimulator } from '../connectors/lietis/sandbox.ts';

export type ToSystems =
  | { type: 'start'; hubCertPem: string }
  | { type: 'applications'; riga: [string, OpenApplication[]][]; daugavpils: [string, OpenApplication[]][] }
  | { type: 'close' };

export type FromSystems =
  | { type: 'started'; riga: { url: string; token: string }; jelgava: { url: string; token: string }; daugavpils: { url: string; certPem: string } }
  | { type: 'set' };

let sims: { riga: SopaApplicationsSimulator; jelgava: SopaApplicationsSimulator; daugavpils: LietisApplicationsSimulator } | undefined;
const send = (m: FromSystems): void => { process.send!(m); };

process.on('message', (m: ToSystems) => {
  void (async () => {
    if (m.type === 'start') {
      const [riga, jelgava, daugavpils] = await Promise.all([
        startSopaApplicationsSimulator({ municipality: '0001000' }),
        startSopaApplicationsSimulator({ municipality: '0003000' }),
        startLietisApplicationsSimulator({ municipality: '0002000', hubCertPem: m.hubCertPem }),
      ]);
      sims = { riga, jelgava, daugavpils };
      send({ type: 'started', riga: { url: riga.url, token: riga.token }, jelgava: { url: jelgava.url, token: jelgava.token }, daugavpils: { url: daugavpils.url, certPem: daugavpils.certPem } });
    } else if (m.type === 'applications') {
      for (const [p, a] of m.riga) sims!.riga.applications.set(p, a);
      for (const [p, a] of m.daugavpils) sims!.daugavpils.applications.set(p, a);
      send({ type: 'set' });
    } else {
      if (sims) await Promise.all([sims.riga.close(), sims.jelgava.close(), sims.daugavpils.close()]);
      process.exit(0);
    }
  })().catch((e: Error) => { process.stderr.write(`[municipal systems] ${e.stack}\n`); process.exit(1); });
});
// The bench gone: nothing is left listening.
process.on('disconnect', () => process.exit(0));
