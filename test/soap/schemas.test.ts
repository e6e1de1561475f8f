import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, Scratch, XSD, xmllint } from './tools.ts';

const WSDL_DIR = join(ROOT, 'schemas/wsdl');
const XSD_DIR = join(ROOT, 'schemas/xsd');
const META = (f: string): string => join(ROOT, 'schemas/meta', f);
const wsdls = readdirSync(WSDL_DIR).filter((f) => f.endsWith('.wsdl')).sort();
const xsds = readdirSync(XSD_DIR).filter((f) => f.endsWith('.xsd')).sort();

const V = 'urn:lv:vdeavk:iis:universal:1';
const B = 'urn:lv:nva:burvis:municipal:1';
const OPINION = `<Opinion xmlns="${V}"><OpinionId>O-1</OpinionId><PersonCode>161175-19997</PersonCode><DisabilityGroup>CHILD</DisabilityGroup><Kind>CHILD_SPECIAL_CARE</Kind><IssuedOn>2026-01-05</IssuedOn><ValidFrom>2026-02-01</ValidFrom><ValidTo>2027-01-31</ValidTo><MaxHoursPerMonth>80</MaxHoursPerMonth><Revoked>false</Revoked><ChangedAt>2026-01-05T10:00:00+02:00</ChangedAt></Opinion>`;
const PROFILE = `<Profile xmlns="${B}"><PersonCode>16117519997</PersonCode><Status>UNEMPLOYED</Status><RegisteredOn>2026-03-01</RegisteredOn><ProfilingGroup>2</ProfilingGroup><Municipality>0001000</Municipality><UpdatedAt>2026-03-02T08:00:00Z</UpdatedAt></Profile>`;
const vsaaReq = (op: string, extra = '') => `<${op} xmlns="urn:lv:vsaa:ep:1"><RequestId>r-1</RequestId><RequesterId>0001000</RequesterId><Purpose>Lieta 5</Purpose><PersonCode>16117519997</PersonCode><PeriodFrom>2025-01</PeriodFrom><PeriodTo>2025-12</PeriodTo>${extra}</${op}>`;

/** One documented message per element of each partner document; and near misses each XSD must refuse. */
const EXAMPLES: { xsd: string; valid: string[]; invalid: string[] }[] = [
  {
    xsd: 'vsaa-ep.xsd',
    valid: [
      vsaaReq('GetDeductionsRequest'), vsaaReq('GetGrantedAmountsRequest'), vsaaReq('GetPaymentsSentRequest'),
      '<GetDeductionsResponse xmlns="urn:lv:vsaa:ep:1"><Deductions><Deduction><Month>2025-03</Month><BenefitType>OLD_AGE_PENSION</BenefitType><Amount>45.10</Amount><Reason>ALIMONY</Reason></Deduction></Deductions></GetDeductionsResponse>',
      '<GetGrantedAmountsResponse xmlns="urn:lv:vsaa:ep:1"><Grants><Grant><BenefitType>DISABILITY_PENSION</BenefitType><Amount>312.00</Amount><From>2024-01-01</From></Grant></Grants></GetGrantedAmountsResponse>',
      '<GetPaymentsSentResponse xmlns="urn:lv:vsaa:ep:1"><Payments/></GetPaymentsSentResponse>',
      '<ErrorCode xmlns="urn:lv:vsaa:ep:1">PERSON_NOT_FOUND</ErrorCode>',
    ],
    invalid: [
      vsaaReq('GetDeductionsRequest').replace('<Purpose>Lieta 5</Purpose>', '<Purpose> </Purpose>'),
      vsaaReq('GetDeductionsRequest').replace('2025-12', '2025-13'),
      '<GetDeductionsResponse xmlns="urn:lv:vsaa:ep:1"><Deductions><Deduction><Month>2025-03</Month><BenefitType>OLD_AGE_PENSION</BenefitType><Amount>45.101</Amount><Reason>ALIMONY</Reason></Deduction></Deductions></GetDeductionsResponse>',
      '<ErrorCode xmlns="urn:lv:vsaa:ep:1">RATE_LIMITED</ErrorCode>',
    ],
  },
  {
    xsd: 'vdeavk-universal.xsd',
    valid: [
      `<GetUniversalServiceDataISRequest xmlns="${V}"><RequestId>r</RequestId><RequesterId>LM</RequesterId><Purpose>p</Purpose><DataSet>ASSISTANT_OPINIONS</DataSet><PersonCode>16117519997</PersonCode></GetUniversalServiceDataISRequest>`,
      `<GetUniversalServiceDataISRequest xmlns="${V}"><RequestId>r</RequestId><RequesterId>0001000</RequesterId><Purpose>p</Purpose><DataSet>ASSISTANT_OPINIONS</DataSet><ChangedSince>2026-01-01T00:00:00Z</ChangedSince><Cursor>c1</Cursor><PageSize>1000</PageSize></GetUniversalServiceDataISRequest>`,
      `<GetUniversalServiceDataISResponse xmlns="${V}"><Opinions>${OPINION}</Opinions><NextCursor>c2</NextCursor></GetUniversalServiceDataISResponse>`,
    ],
    invalid: [
      `<GetUniversalServiceDataISRequest xmlns="${V}"><RequestId>r</RequestId><RequesterId>LM</RequesterId><Purpose>p</Purpose><DataSet>ASSISTANT_OPINIONS</DataSet><PersonCode>16117519997</PersonCode><ChangedSince>2026-01-01T00:00:00Z</ChangedSince></GetUniversalServiceDataISRequest>`,
      `<GetUniversalServiceDataISRequest xmlns="${V}"><RequestId>r</RequestId><RequesterId>LM</RequesterId><Purpose>p</Purpose><DataSet>ASSISTANT_OPINIONS</DataSet><ChangedSince>2026-01-01T00:00:00Z</ChangedSince><PageSize>1001</PageSize></GetUniversalServiceDataISRequest>`,
      OPINION.replace('CHILD</DisabilityGroup>', 'IV</DisabilityGroup>'),
    ],
  },
  {
    xsd: 'burvis-municipal.xsd',
    valid: [
      `<GetProfilingChangesRequest xmlns="${B}"><RequestId>r</RequestId><RequesterId>LM</RequesterId><Since>2026-01-01T00:00:00Z</Since><PageSize>500</PageSize></GetProfilingChangesRequest>`,
      `<GetProfilingChangesResponse xmlns="${B}"><Profiles>${PROFILE}</Profiles></GetProfilingChangesResponse>`,
      `<GetProfileRequest xmlns="${B}"><RequestId>r</RequestId><RequesterId>0001000</RequesterId><Purpose>p</Purpose><PersonCode>16117519997</PersonCode></GetProfileRequest>`,
      `<GetProfileResponse xmlns="${B}">${PROFILE}</GetProfileResponse>`,
      `<SubmitCoParticipationRequest xmlns="${B}"><RequestId>r</RequestId><RequesterId>0001000</RequesterId><CoParticipation><Id>RIGA-17</Id><PersonCode>16117519997</PersonCode><Municipality>0001000</Municipality><AgreedOn>2026-03-01</AgreedOn><Duties><Duty>REGISTER_WITH_NVA</Duty><Duty>ACTIVE_JOB_SEARCH</Duty></Duties><Services><Service>Psihologa konsultācijas</Service></Services><ValidTo>2026-09-30</ValidTo></CoParticipation></SubmitCoParticipationRequest>`,
      `<SubmitCoParticipationResponse xmlns="${B}"><Accepted>true</Accepted><Ref>NVA-1</Ref></SubmitCoParticipationResponse>`,
    ],
    invalid: [
      PROFILE.replace('<ProfilingGroup>2', '<ProfilingGroup>4'),
      `<SubmitCoParticipationRequest xmlns="${B}"><RequestId>r</RequestId><RequesterId>0001000</RequesterId><CoParticipation><Id>RIGA-17</Id><PersonCode>16117519997</PersonCode><Municipality>0001000</Municipality><AgreedOn>2026-03-01</AgreedOn><Duties/></CoParticipation></SubmitCoParticipationRequest>`,
      `<SubmitCoParticipationRequest xmlns="${B}"><RequestId>r</RequestId><RequesterId>0001000</RequesterId><CoParticipation><Id>RIGA-17</Id><PersonCode>16117519997</PersonCode><Municipality>0001000</Municipality><AgreedOn>2026-03-01</AgreedOn><Duties><Duty>OTHER</Duty></Duties><Services><Service>${'x'.repeat(201)}</Service></Services></CoParticipation></SubmitCoParticipationRequest>`,
    ],
  },
  {
    xsd: 'hub-vdeavk.xsd',
    valid: [
      `<SubmitAssistantOpinionsRequest xmlns="urn:lv:lm:spolis:hub:vdeavk:1"><RequestId>v-1</RequestId><Opinions>${OPINION}</Opinions></SubmitAssistantOpinionsRequest>`,
      '<SubmitAssistantOpinionsResponse xmlns="urn:lv:lm:spolis:hub:vdeavk:1"><RequestId>v-1</RequestId><Accepted>true</Accepted><Stored>1</Stored></SubmitAssistantOpinionsResponse>',
    ],
    invalid: ['<SubmitAssistantOpinionsRequest xmlns="urn:lv:lm:spolis:hub:vdeavk:1"><RequestId>v-1</RequestId><Opinions/></SubmitAssistantOpinionsRequest>'],
  },
  {
    xsd: 'hub-burvis.xsd',
    valid: [
      `<SubmitProfilingChangesRequest xmlns="urn:lv:lm:spolis:hub:burvis:1"><RequestId>n-1</RequestId><Profiles>${PROFILE}</Profiles></SubmitProfilingChangesRequest>`,
      '<SubmitProfilingChangesResponse xmlns="urn:lv:lm:spolis:hub:burvis:1"><RequestId>n-1</RequestId><Accepted>true</Accepted><Queued>1</Queued></SubmitProfilingChangesResponse>',
    ],
    invalid: ['<SubmitProfilingChangesResponse xmlns="urn:lv:lm:spolis:hub:burvis:1"><RequestId>n-1</RequestId><Accepted>false</Accepted><Queued>0</Queued></SubmitProfilingChangesResponse>'],
  },
  {
    xsd: 'lietis-applications.xsd',
    valid: [
      '<GetOpenApplicationsRequest xmlns="urn:lv:daugavpils:lietis:applications:1"><RequestId>r-1</RequestId><Purpose>portal request p-1</Purpose><PersonCode>16117519997</PersonCode></GetOpenApplicationsRequest>',
      '<GetOpenApplicationsResponse xmlns="urn:lv:daugavpils:lietis:applications:1"><Municipality>0002000</Municipality><Applications><Application><ApplicationId>DSP/IES/2026/301</ApplicationId><ReceivedOn>2026-11-25</ReceivedOn><AppliedFor><Service>HOME_CARE</Service></AppliedFor><State>WAITING_FOR_DOCUMENTS</State></Application><Application><ApplicationId>DSP/IES/2026/302</ApplicationId><ReceivedOn>2026-11-26</ReceivedOn><AppliedFor><HouseholdStatus>NEEDY</HouseholdStatus></AppliedFor><State>REGISTERED</State><ExpectedDecisionBy>2026-12-24</ExpectedDecisionBy></Application></Applications></GetOpenApplicationsResponse>',
      '<GetOpenApplicationsResponse xmlns="urn:lv:daugavpils:lietis:applications:1"><Municipality>0002000</Municipality><Applications/></GetOpenApplicationsResponse>',
    ],
    invalid: [
      '<GetOpenApplicationsRequest xmlns="urn:lv:daugavpils:lietis:applications:1"><RequestId>r-1</RequestId><Purpose>p</Purpose><PersonCode>161175-19997</PersonCode></GetOpenApplicationsRequest>',
      '<GetOpenApplicationsResponse xmlns="urn:lv:daugavpils:lietis:applications:1"><Municipality>0002000</Municipality><Applications><Application><ApplicationId>A</ApplicationId><ReceivedOn>2026-11-25</ReceivedOn><AppliedFor><Service>HOME_CARE</Service><Benefit>GMI</Benefit></AppliedFor><State>REGISTERED</State></Application></Applications></GetOpenApplicationsResponse>',
      '<GetOpenApplicationsResponse xmlns="urn:lv:daugavpils:lietis:applications:1"><Municipality>0002000</Municipality><Applications><Application><ApplicationId>A</ApplicationId><ReceivedOn>2026-11-25</ReceivedOn><AppliedFor><Benefit>GMI</Benefit></AppliedFor><State>DECIDED</State></Application></Applications></GetOpenApplicationsResponse>',
    ],
  },
  {
    xsd: 'lietis-inbound.xsd',
    valid: [
      '<ReceiveNotification xmlns="urn:lv:daugavpils:lietis:inbound:1"><NotificationId>n-1</NotificationId><Type>burvis.profile</Type><Municipality>0002000</Municipality><Profile><PersonCode>16117519997</PersonCode><Status>JOBSEEKER</Status><RegisteredOn>2026-03-01</RegisteredOn><ProfilingGroup>1</ProfilingGroup><UpdatedAt>2026-03-02T08:00:00+02:00</UpdatedAt></Profile></ReceiveNotification>',
      '<ReceiveNotificationResponse xmlns="urn:lv:daugavpils:lietis:inbound:1"><Accepted>true</Accepted></ReceiveNotificationResponse>',
    ],
    invalid: ['<ReceiveNotification xmlns="urn:lv:daugavpils:lietis:inbound:1"><NotificationId>n-1</NotificationId><Type>burvis.profile</Type><Municipality>0002000</Municipality><Profile><PersonCode>161175-19997</PersonCode><Status>JOBSEEKER</Status><RegisteredOn>2026-03-01</RegisteredOn><ProfilingGroup>1</ProfilingGroup><UpdatedAt>2026-03-02T08:00:00+02:00</UpdatedAt></Profile></ReceiveNotification>'],
  },
];

describe('SOAP contracts (schemas/wsdl, schemas/xsd)', function () {
  this.timeout(60_000);
  let scratch: Scratch;
  before(() => { scratch = new Scratch(); });
  after(() => scratch.dispose());

  it('has a WSDL and an XSD for every partner service and hub endpoint', () => {
    const expected = ['burvis-municipal', 'hub-burvis', 'hub-vdeavk', 'lietis-applications', 'lietis-inbound', 'pmlp-fpr', 'vdeavk-universal', 'vsaa-ep', 'vzd-property'];
    assert.deepEqual(wsdls, expected.map((n) => `${n}.wsdl`));
    assert.deepEqual(xsds, expected.map((n) => `${n}.xsd`));
  });

  for (const f of xsds) {
    it(`${f} is a valid XML Schema (xmllint against the schema for schemas)`, () => {
      const r = xmllint(scratch, META('XMLSchema.xsd'), join(XSD_DIR, f));
      assert.ok(r.ok, r.out);
    });
  }

  for (const f of wsdls) {
    it(`${f} is valid WSDL 1.1 with SOAP 1.1 bindings (xmllint)`, () => {
      const r = xmllint(scratch, META('wsdl-check.xsd'), join(WSDL_DIR, f));
      assert.ok(r.ok, r.out);
    });

    it(`${f} refers only to elements its XSD declares, and binds every operation`, () => {
      const wsdl = readFileSync(join(WSDL_DIR, f), 'utf8');
      const xsd = readFileSync(XSD(f.replace('.wsdl', '.xsd')), 'utf8');
      assert.match(wsdl, new RegExp(`schemaLocation="\\.\\./xsd/${f.replace('.wsdl', '.xsd')}"`));
      const global = new Set([...xsd.matchAll(/^ {2}<xs:element name="([^"]+)"/gm)].map((m) => m[1]));
      for (const [, el] of wsdl.matchAll(/element="tns:([^"]+)"/g)) assert.ok(global.has(el), `${el} is not a global element of the XSD`);
      const ops = (section: string) => [...(new RegExp(`<wsdl:${section} [^>]*>(.*?)</wsdl:${section}>`, 's').exec(wsdl)?.[1] ?? '')
        .matchAll(/<wsdl:operation name="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(ops('portType').length > 0);
      assert.deepEqual(ops('binding'), ops('portType'));
    });
  }

  for (const { xsd, valid, invalid } of EXAMPLES) {
    it(`${xsd} accepts each documented message`, () => {
      for (const doc of valid) {
        const r = xmllint(scratch, XSD(xsd), doc);
        assert.ok(r.ok, `${doc}\n${r.out}`);
      }
    });
    it(`${xsd} refuses near misses`, () => {
      for (const doc of invalid) assert.equal(xmllint(scratch, XSD(xsd), doc).ok, false, doc);
    });
  }
});
