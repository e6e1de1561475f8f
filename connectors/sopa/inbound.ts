/**
 * Reads a SOPA bulk-export batch (partners/sopa.md): one XML document, namespace
 * urn:lv:zzdats:sopa:spolis:1, a Galvene header and up to four record sections.
 */
import { defineFormat, readXml, elementToObject, firstForeignElement, splitXml, inspectByOutline, requireUtf8Document, ValidationError, type PartnerRecord, type BatchHeader } from '../../engine/index.ts';

export const SOPA_NS = 'urn:lv:zzdats:sopa:spolis:1';
const SECTIONS: Record<string, string> = {
  Statusi: 'Statuss', Pabalsti: 'Pabalsts', Pakalpojumi: 'Pakalpojums', Asistents: 'AsistentaMenesis',
};

function headerError(field: string, problem: string): ValidationError {
  return new ValidationError('HUB_ERR_BATCH_HEADER', `Galvene/${field} ${problem}`, 422, { field: `Galvene/${field}` });
}

/**
 * Reads a batch, handing each record to `onRecord` as it is read (without one, records are only
 * counted). The header is read from Galvene, which precedes the record sections: it is checked
 * when the first record arrives (or at the end of an empty document), so each record comes with it.
 * `records`: the document is a skeleton (see engine/xml/outline.ts) and the whole document holds
 * this many records.
 */
export function readSopaBatch(body: Buffer, onRecord?: (record: PartnerRecord, header: BatchHeader) => void, opts: { records?: number } = {}): BatchHeader {
  // Galvene's fields sit at record depth, so they arrive through onRecord like records do.
  let fields: Record<string, unknown> | undefined;
  let header: BatchHeader | undefined;
  let count = 0;
  readXml(body.toString('utf8'), {
    recordDepth: 3,
    // Counting needs the records' own elements (and Galvene's texts), not what is inside them.
    buildDepth: onRecord ? Infinity : 3,
    onRoot(el) {
      if (el.name !== 'SpolisEksports' || el.ns !== SOPA_NS) {
        throw new ValidationError('HUB_ERR_BATCH_ROOT', `root element must be SpolisEksports in namespace ${SOPA_NS}, found ${el.name} in "${el.ns}"`, 422);
      }
    },
    onRecord(el, parent, parentNs) {
      // sopa.md's XSD qualifies every element: a Galvene, a section or a field in another
      // namespace is not SOPA's of that name, whatever its local name reads.
      if (parentNs !== SOPA_NS) throw new ValidationError('HUB_ERR_BATCH_SECTION', `${parent} (holding ${el.name}, line ${el.line}) is in namespace "${parentNs}", not SOPA's ${SOPA_NS}`, 422, { field: parent });
      if (parent === 'Galvene') {
        if (el.ns !== SOPA_NS) throw headerError(el.name, `(line ${el.line}) is in namespace "${el.ns}", not SOPA's ${SOPA_NS}`);
        if (header) throw new ValidationError('HUB_ERR_BATCH_HEADER', `Galvene (line ${el.line}) comes after records; it is the first element of a SOPA document`, 422, { field: 'Galvene' });
        fields ??= {};
        fields[el.name] = el.text.trim();
        return;
      }
      const expected = SECTIONS[parent];
      if (!expected) throw new ValidationError('HUB_ERR_BATCH_SECTION', `unknown section ${parent} (line ${el.line}); SOPA sections are ${Object.keys(SECTIONS).join(', ')}`, 422);
      if (el.name !== expected || el.ns !== SOPA_NS) {
        throw new ValidationError('HUB_ERR_BATCH_SECTION', `section ${parent} holds ${expected} elements of ${SOPA_NS}, found ${el.name}${el.ns === SOPA_NS ? '' : ` in "${el.ns}"`} (line ${el.line})`, 422);
      }
      header ??= readHeader(fields);
      count++;
      if (!onRecord) return;
      // A foreign element inside a record rejects that record alone: the rest of the batch is good.
      const foreign = firstForeignElement(el, SOPA_NS);
      onRecord(foreign
        ? { type: el.name, data: elementToObject(el), errors: [{ field: foreign.name, code: 'FORMAT', message: `${foreign.name} (line ${foreign.line}) is in namespace "${foreign.ns}", not SOPA's ${SOPA_NS}: a foreign element is not read as SOPA's field of that name` }] }
        : { type: el.name, data: elementToObject(el) }, header);
    },
  });
  header ??= readHeader(fields);
  const found = opts.records ?? count;
  if (header.count !== found) {
    throw new ValidationError('HUB_ERR_BATCH_COUNT_MISMATCH',
      `Galvene/IerakstuSkaits says ${header.count} records but the document holds ${found}: the document was cut or corrupted on the way; the whole batch is rejected, send it again`, 422,
      { field: 'Galvene/IerakstuSkaits' });
  }
  return header;
}

function readHeader(fields: Record<string, unknown> | undefined): BatchHeader {
  if (!fields) throw headerError('', 'is missing: every SOPA document starts with a Galvene header');
  const str = (k: string): string => {
    const v = fields[k];
    if (typeof v !== 'string' || v === '') throw headerError(k, 'is required');
    return v;
  };
  const countText = str('IerakstuSkaits');
  if (!/^\d+$/.test(countText)) throw headerError('IerakstuSkaits', `"${countText}" is not a whole number`);
  return { municipality: str('PasvaldibasATVK'), period: str('Periods'), created: str('Izveidots'), count: Number(countText) };
}

const OUTLINE = { recordDepth: 3, count: { headerElement: 'Galvene', element: 'IerakstuSkaits' } } as const;

export const sopaFormat = defineFormat({
  name: 'sopa/batch',
  source: 'sopa',
  summary: 'SOPA bulk export to SPOLIS: XML, UTF-8, SpolisEksports with Galvene and four record sections.',
  contentTypes: ['application/xml', 'text/xml'],
  checkBytes: requireUtf8Document,
  read: (body, _contentType, onRecord) => readSopaBatch(body, onRecord),
  inspect: (body) => inspectByOutline(body, OUTLINE,
    (skeleton, records) => readSopaBatch(skeleton, undefined, { records }),
    () => { const header = readSopaBatch(body); return { header, recordCount: header.count }; }),
  // Sections keep their order and each part gets the Galvene with its own IerakstuSkaits.
  split: (body, maxBytes) => splitXml(body, maxBytes, {
    ...OUTLINE, countName: 'Galvene/IerakstuSkaits',
    decode: (b) => b.toString('utf8'),
  }),
});
