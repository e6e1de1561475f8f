/**
 * The limits of one submission (docs/partners/portal-complaints.md, "Limits"). They sit inside the
 * e-address's own (docs/partners/eaddress.md): a submission the hub registers is one the
 * institution's e-address takes, so no registration number is given for a message that cannot
 * be delivered.
 */
export const COMPLAINT_LIMITS = {
  /**
   * The person's text. The e-address carries 20 000 characters of text, and the hub puts its
   * cover lines (registration number, kind, topic, the person's code and contact) above the
   * person's text: they take at most 1 000 of them.
   */
  textChars: 19_000,
  attachments: 5,
  /** Decoded bytes of all attachments together: the e-address's limit per message. */
  attachmentBytes: 10 * 1024 * 1024,
  attachmentNameChars: 255,
  emailChars: 254,
  addressChars: 300,
  /**
   * The whole request body: 10 MB of attachments is 13.4 MB in base64, and the text may be
   * JSON-escaped to six bytes a character. A larger body is refused with 413 before it is read.
   */
  bodyBytes: 14 * 1024 * 1024,
} as const;
