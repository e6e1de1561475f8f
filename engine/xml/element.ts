/** What the XML readers (xml.ts with saxes, xml-fast.ts) hand over: elements as small trees, and the options of a read. */
export interface XmlElement {
  /** Local name (no prefix). */
  name: string;
  ns: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
}

export interface XmlReadOptions {
  /** Depth (root = 1) whose elements are records, handed over one at a time. */
  recordDepth: number;
  maxDepth?: number;
  /**
   * Elements deeper than this are checked for well-formedness but not built: a caller that only
   * counts records (the PUT path) pays for tokenizing, not for objects. Default: build everything.
   */
  buildDepth?: number;
  onRoot?(el: XmlElement): void;
  /** `parent` and `parentNs`: the local name and namespace of the element holding the record. */
  onRecord(el: XmlElement, parent: string, parentNs: string): void;
}
