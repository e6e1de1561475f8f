/**
 * Reads a SOPA bulk-export batch (partners/sopa.md): one XML document, namespace
 * urn:lv:zzdats:sopa:spolis:1, a Galvene header and up to four record sections.
 */
import { defineFormat, readXml, elementToObject, splitXml, inspectByOutline, ValidationError, type PartnerRecord, type BatchHeader } from '../../engine/index.ts';

export const SOPA_NS = 'urn:lv:zzdats:sopa:spolis:1';
const SECTIONS: Record<string, string> = {
  Statusi: 'Statuss', Pabalsti: 'Pabalsts', Pakalpojumi: 'Pakalpojums', Asistents: 'AsistentaMenesis',
};

function headerError(field: string, problem: string): ValidationError {
  return new ValidationError('HUB_ERR_BATCH_HEADER', `Galvene/${field} ${problem}`, 422, { field: `Galvene/${field}` });
}

/**
 * `countOnly`: records are counted, not built. `records`: the document is a skeleton (see
 * engine/xml-outline.ts) and the whole document holds this many records.
 */
export function parseSopaBatch(body: Buffer, opts: { countOnly?: boolean; records?: number } = {}): { header: BatchHeader; records: PartnerRecord[] } {
  const records: PartnerRecord[] = [];
  const shell: PartnerRecord = { type: '', data: {} };
  // Galvene's fields sit at record depth, so they arrive through onRecord like records do.
  let header: Record<string, unknown> | undefined;
  readXml(body.toString('utf8'), {
    recordDepth: 3,
    // Counting needs the records' own elements (and Galvene's texts), not what is inside them.
    buildDepth: opts.countOnly ? 3 : Infinity,
    onRoot(el) {
      if (el.name !== 'SpolisEksports' || el.ns !== SOPA_NS) {
        throw new ValidationError('HUB_ERR_BATCH_ROOT', `root element must be SpolisEksports in namespace ${SOPA_NS}, found ${el.name} in "${el.ns}"`, 422);
      }
    },
    onRecord(el, parent) {
      if (parent === 'Galvene') {
        header ??= {};
        header[el.name] = el.text.trim();
        return;
      }
      const expected = SECTIONS[parent];
      if (!expected) throw new ValidationError('HUB_ERR_BATCH_SECTION', `unknown section ${parent} (line ${el.line}); SOPA sections are ${Object.keys(SECTIONS).join(', ')}`, 422);
      if (el.name !== expected) throw new ValidationError('HUB_ERR_BATCH_SECTION', `section ${parent} holds ${expected} elements, found ${el.name} (line ${el.line})`, 422);
      records.push(opts.countOnly ? shell : { type: el.name, data: elementToObject(el) });
    },
  });
  if (!header) throw headerError('', 'is missing: every SOPA document starts with a Galvene header');
  const str = (k: string): string => {
    const v = header![k];
    if (typeof v !== 'string' || v === '') throw headerError(k, 'is required');
    return v;
  };
  const countText = str('IerakstuSkaits');
  if (!/^\d+$/.test(countText)) throw headerError('IerakstuSkaits', `"${countText}" is not a whole number`);
  const count = Number(countText);
  const found = opts.records ?? records.length;
  if (count !== found) {
    throw new ValidationError('HUB_ERR_BATCH_COUNT_MISMATCH',
      `Galvene/IerakstuSkaits says ${count} records but the document holds ${found}: the document was cut or corrupted on the way; the whole batch is rejected, send it again`, 422,
      { field: 'Galvene/IerakstuSkaits' });
  }
  return { header: { municipality: str('PasvaldibasATVK'), period: str('Periods'), created: str('Izveidots'), count }, records };
}

const OUTLINE = { recordDepth: 3, count: { headerElement: 'Galvene', element: 'IerakstuSkaits' } } as const;

export const sopaFormat = defineFormat({
  name: 'sopa/batch',
  source: 'sopa',
  summary: 'SOPA bulk export to SPOLIS: XML, UTF-8, SpolisEksports with Galvene and four record sections.',
  contentTypes: ['application/xml', 'text/xml'],
  parse: (body) => parseSopaBatch(body),
  inspect: (body) => inspectByOutline(body, OUTLINE,
    (skeleton, records) => parseSopaBatch(skeleton, { countOnly: true, records }).header,
    () => { const { header, records } = parseSopaBatch(body, { countOnly: true }); return { header, recordCount: records.length }; }),
  // Sections keep their order and each part gets the Galvene with its own IerakstuSkaits.
  split: (body, maxBytes) => splitXml(body, maxBytes, {
    ...OUTLINE, countName: 'Galvene/IerakstuSkaits',
    decode: (b) => b.toString('utf8'),
  }),
});
