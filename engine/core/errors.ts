/**
 * Errors as typed values. Every error the hub raises carries a stable code (documented in
 * docs/errors.md), whether a retry could help, and the field at fault where there is one, so
 * that a partner's developer can act on the message without reading our logs.
 */
export interface HubErrorDetails {
  route?: string;
  step?: string;
  connector?: string;
  messageId?: string;
  field?: string;
  [key: string]: unknown;
}

export class HubError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: HubErrorDetails;
  /** The HTTP status this error maps to when it reaches a caller. */
  readonly httpStatus: number;

  constructor(code: string, message: string, opts: { retryable?: boolean; details?: HubErrorDetails; cause?: unknown; httpStatus?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details ?? {};
    this.httpStatus = opts.httpStatus ?? 500;
  }

  toJSON(): { code: string; message: string; field?: string } {
    return { code: this.code, message: this.message, ...(this.details.field ? { field: this.details.field } : {}) };
  }
}

/** A route file, partners.yaml or an option is wrong; the message names file, line and fix. */
export class ConfigError extends HubError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('HUB_ERR_CONFIG_INVALID', `configuration has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** Input that breaks the contract; never retryable. */
export class ValidationError extends HubError {
  constructor(code: string, message: string, httpStatus = 400, details: HubErrorDetails = {}) {
    super(code, message, { httpStatus, details });
  }
}

/** A transformer could not map a record. */
export class TransformError extends HubError {
  constructor(message: string, details: HubErrorDetails = {}) {
    super('HUB_ERR_TRANSFORM_FAILED', message, { details, httpStatus: 422 });
  }
}

/** An outside system (or the store) failed; retryable unless said otherwise. */
export class ConnectorError extends HubError {
  constructor(code: string, message: string, opts: { retryable?: boolean; details?: HubErrorDetails; cause?: unknown; httpStatus?: number } = {}) {
    super(code, message, { retryable: opts.retryable ?? true, httpStatus: opts.httpStatus ?? 502, ...opts });
  }
}

export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}

/** Shorthand for the HTTP-facing errors of the API. */
export function httpError(status: number, code: string, message: string, field?: string): HubError {
  return new HubError(code, message, { httpStatus: status, details: field ? { field } : {} });
}
