/**
 * What a suite of one agency's simulator and client shares: the hub's identity and a stranger's,
 * the simulator on loopback trusting the hub, a client recording its exchanges, scratch files for
 * xmllint and xmlsec1, and a way to send a hand-written signed request. `agencyBed` registers the
 * suite's hooks; the suite reads the fields inside its tests.
 */
import assert from 'node:assert/strict';
import { createSigningIdentity, postSoap, readSoapFault, signEnvelope, soapEnvelope, verifyEnvelope, type SigningIdentity, type SoapFault } from '../../engine/index.ts';
import { Scratch } from './tools.ts';

interface AgencySimulator { url: string; certPem: string; reset(): void; close(): Promise<void> }
/** A client's options, as far as the bed sets them: who signs, and who hears of each exchange. */
interface ClientOptions { identity?: SigningIdentity; onExchange?: (e: never) => void }
type ExchangeOf<O> = O extends { onExchange?: (e: infer E) => void } ? E : never;

export interface AgencyBedSetup<S extends AgencySimulator, C extends { close(): void }, O extends ClientOptions> {
  /** The partner name postSoap reports in errors. */
  partner: string;
  start(hubCertPem: string): Promise<S>;
  /** A client of the simulator signing as `identity`, the suite's options over the defaults. */
  client(sim: S, identity: SigningIdentity, opts: O): C;
}

export interface AgencyBed<S, C, O, E> {
  hub: SigningIdentity;
  /** A key the simulator does not know. */
  stranger: SigningIdentity;
  sim: S;
  /** The suite's client; its exchanges are kept in `exchanges`. */
  client: C;
  exchanges: E[];
  scratch: Scratch;
  /** Another client with other options, closed after the suite. */
  open(opts?: O): C;
  /** A hand-written payload signed by `identity` (the hub's by default): the answer, whose signature must verify. */
  signedPost(payload: string, identity?: SigningIdentity): Promise<{ status: number; text: string; fault?: SoapFault }>;
}

export function agencyBed<S extends AgencySimulator, C extends { close(): void }, O extends ClientOptions>(
  setup: AgencyBedSetup<S, C, O>,
): AgencyBed<S, C, O, ExchangeOf<O>> {
  type E = ExchangeOf<O>;
  const clients: C[] = [];
  const bed = {
    exchanges: [] as E[],
    open(opts: O = {} as O): C {
      const c = setup.client(bed.sim, opts.identity ?? bed.hub, opts);
      clients.push(c);
      return c;
    },
    async signedPost(payload: string, identity?: SigningIdentity) {
      const res = await postSoap(bed.sim.url, signEnvelope(soapEnvelope(payload), identity ?? bed.hub), { timeoutMs: 3000, partner: setup.partner });
      const v = verifyEnvelope(res.body, bed.sim.certPem);
      assert.ok(v.ok, `every answer and fault is signed (${res.status}: ${res.body.slice(0, 200)})`);
      return { status: res.status, text: res.body, fault: readSoapFault(v.body) };
    },
  } as AgencyBed<S, C, O, E>;
  const record = { onExchange: (e: E) => { bed.exchanges.push(e); } } as unknown as O;
  before(async () => {
    [bed.hub, bed.stranger] = await Promise.all([createSigningIdentity('hub'), createSigningIdentity('stranger')]);
    bed.sim = await setup.start(bed.hub.certPem);
    bed.client = bed.open(record);
    bed.scratch = new Scratch();
  });
  afterEach(() => bed.sim.reset());
  after(async () => {
    for (const c of clients) c.close();
    await bed.sim.close();
    bed.scratch.dispose();
  });
  return bed;
}
