/**
 * An attachment is checked byte by byte before the hub registers anything: the base64 is exactly
 * RFC 4648 (what decodes is what was sent), and the bytes are what the content type says, by the
 * signature every file of that type starts with. An institution's clerk opens these files; a
 * program renamed to "izziņa.pdf" must not reach them through the hub.
 */
import { createHash } from 'node:crypto';

export interface AttachmentType {
  contentType: string;
  /** File name extensions that fit it, lower case. */
  extensions: string[];
  /** Why the bytes are not of this type, or null when they plausibly are. */
  problem(bytes: Buffer): string | null;
}

const startsWith = (b: Buffer, sig: number[] | string): boolean => {
  const s = typeof sig === 'string' ? Buffer.from(sig, 'latin1') : Buffer.from(sig);
  return b.length >= s.length && b.subarray(0, s.length).equals(s);
};

/** A ZIP archive: a local file header first and an end-of-central-directory record near the end. */
const zipProblem = (b: Buffer): string | null => {
  if (!startsWith(b, 'PK\x03\x04')) return 'it is not a ZIP container (it does not start with PK\\x03\\x04)';
  // The end record is the last 22 bytes, followed by a comment of at most 65 535.
  const end = b.length < 22 ? -1 : b.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'), b.length - 22);
  return end < 0 || end < b.length - 22 - 65_535 ? 'its ZIP container has no end record: the file is cut short' : null;
};

const ODT_MIME = 'application/vnd.oasis.opendocument.text';
const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export const ATTACHMENT_TYPES: AttachmentType[] = [
  {
    contentType: 'application/pdf', extensions: ['pdf'],
    problem: (b) => (startsWith(b, '%PDF-') ? null : 'a PDF starts with "%PDF-"'),
  },
  {
    contentType: 'image/png', extensions: ['png'],
    problem: (b) => (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) && b.subarray(12, 16).toString('latin1') === 'IHDR' ? null : 'a PNG starts with the PNG signature and its IHDR chunk'),
  },
  {
    contentType: 'image/jpeg', extensions: ['jpg', 'jpeg'],
    problem: (b) => (startsWith(b, [0xff, 0xd8, 0xff]) ? null : 'a JPEG starts with FF D8 FF'),
  },
  {
    contentType: DOCX_MIME, extensions: ['docx'],
    problem: (b) => {
      const zip = zipProblem(b);
      if (zip) return `a .docx is a ZIP container, and ${zip}`;
      // The central directory names every part; a Word document has these two.
      return b.includes('[Content_Types].xml', 0, 'latin1') && b.includes('word/document.xml', 0, 'latin1') ? null : 'a .docx holds [Content_Types].xml and word/document.xml, and this ZIP does not';
    },
  },
  {
    contentType: ODT_MIME, extensions: ['odt'],
    problem: (b) => {
      const zip = zipProblem(b);
      if (zip) return `an .odt is a ZIP container, and ${zip}`;
      // OpenDocument 1.2 part 3, 3.3: the first entry is "mimetype", stored, holding the media type.
      return b.subarray(30, 38).toString('latin1') === 'mimetype' && b.subarray(38, 38 + ODT_MIME.length).toString('latin1') === ODT_MIME
        ? null : `an .odt starts with an uncompressed "mimetype" entry holding ${ODT_MIME}`;
    },
  },
  {
    contentType: 'text/plain', extensions: ['txt'],
    problem: (b) => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(b);
      } catch {
        return 'text is taken in UTF-8, and these bytes are not UTF-8';
      }
      // C0 controls other than tab, line feed, form feed and carriage return: a binary file.
      const at = b.findIndex((c) => c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d);
      return at < 0 ? null : `text holds no control bytes, and byte ${at} is 0x${b[at].toString(16).padStart(2, '0')}`;
    },
  },
];

const BY_TYPE = new Map(ATTACHMENT_TYPES.map((t) => [t.contentType, t]));

/** The type a content type names (case and a `charset=utf-8` on text/plain aside), or undefined. */
export function attachmentType(contentType: string): AttachmentType | undefined {
  const [type, ...params] = contentType.split(';').map((s) => s.trim().toLowerCase());
  if (params.some((p) => !(type === 'text/plain' && /^charset="?utf-8"?$/.test(p)))) return undefined;
  return BY_TYPE.get(type);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The bytes of `data` if it is base64 exactly as RFC 4648 §4 writes it (padded, no line breaks,
 * no stray bits), else null: Node's decoder skips what it does not understand, so the encoding
 * is checked by encoding the result back.
 */
export function decodeBase64Strict(data: string): Buffer | null {
  if (data.length % 4 !== 0 || !BASE64.test(data)) return null;
  const bytes = Buffer.from(data, 'base64');
  return bytes.toString('base64') === data ? bytes : null;
}

export const sha256Hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
