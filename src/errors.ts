/**
 * One error base class for the whole product. Every error carries an MLflow error code,
 * so the server can answer `{error_code, message}` with MLflow's HTTP status and the REST
 * store can turn such an answer back into the same error type.
 */

/** MLflow's error codes and the HTTP status each one maps to (mlflow/protos/databricks.proto). */
export const ERROR_STATUS = {
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  IO_ERROR: 500,
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  MALFORMED_REQUEST: 400,
  INVALID_STATE: 400,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_CONFLICT: 409,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  RESOURCE_LIMIT_EXCEEDED: 400,
  NOT_IMPLEMENTED: 501,
  FEATURE_DISABLED: 501,
  DEADLINE_EXCEEDED: 504,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}

/** Base class: a message for people, an MLflow error code for machines. */
export class PropflowError extends Error {
  readonly code: ErrorCode;

  constructor(message: string, code: ErrorCode = 'INTERNAL_ERROR', options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** The HTTP status MLflow uses for this error's code. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** MLflow's wire shape for an error. */
  toJSON(): { error_code: ErrorCode; message: string } {
    return { error_code: this.code, message: this.message };
  }
}

/** A value supplied by the caller is wrong (MLflow: INVALID_PARAMETER_VALUE, 400). */
export class InvalidParameterError extends PropflowError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'INVALID_PARAMETER_VALUE', options);
  }
}

/** The named object does not exist (MLflow: RESOURCE_DOES_NOT_EXIST, 404). */
export class NotFoundError extends PropflowError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'RESOURCE_DOES_NOT_EXIST', options);
  }
}

/** An object with that name or key exists already (MLflow: RESOURCE_ALREADY_EXISTS, 400). */
export class AlreadyExistsError extends PropflowError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'RESOURCE_ALREADY_EXISTS', options);
  }
}

/** Input data (a file, a row, a config) is malformed; the message names where and how to fix it. */
export class DataError extends PropflowError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'BAD_REQUEST', options);
  }
}

/** The error for an MLflow error code: the matching subclass where there is one (the REST store uses this). */
export function errorForCode(code: ErrorCode, message: string, options?: ErrorOptions): PropflowError {
  switch (code) {
    case 'INVALID_PARAMETER_VALUE':
      return new InvalidParameterError(message, options);
    case 'RESOURCE_DOES_NOT_EXIST':
      return new NotFoundError(message, options);
    case 'RESOURCE_ALREADY_EXISTS':
      return new AlreadyExistsError(message, options);
    default:
      return new PropflowError(message, code, options);
  }
}

/** Wrap anything thrown into a PropflowError, keeping the original as the cause. */
export function toPropflowError(err: unknown): PropflowError {
  if (err instanceof PropflowError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PropflowError(message, 'INTERNAL_ERROR', { cause: err });
}

/**
 * The server's (or the embedded store's) storage cannot take a write: the disk or quota is
 * full (RESOURCE_EXHAUSTED), or the folder or database is read-only (PERMISSION_DENIED).
 * HTTP 507 Insufficient Storage: not the caller's fault, and not worth an automatic retry.
 */
export class StorageError extends PropflowError {
  constructor(message: string, code: 'RESOURCE_EXHAUSTED' | 'PERMISSION_DENIED', options?: ErrorOptions) {
    super(message, code, options);
  }

  override get status(): number {
    return 507;
  }
}

/**
 * The clear error for a file-system or SQLite failure while writing `location` (`what`
 * names it: "artifact folder", "tracking database"): full disk, read-only storage, a name
 * too long for the file system. Undefined for any other failure (rethrow it as it is).
 */
export function storageErrorOf(err: unknown, what: string, location: string): PropflowError | undefined {
  if (err instanceof PropflowError) return undefined;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const options = { cause: err };
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    return new StorageError(
      `The ${what} ${location} is full (${code}): the write was refused; reads keep working. Free space on its disk (or raise the quota) and retry.`,
      'RESOURCE_EXHAUSTED',
      options,
    );
  }
  if (code === 'EROFS' || code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM') {
    return new StorageError(
      `The ${what} ${location} is read-only (${code}): the write was refused; reads keep working. Make it writable for the server's user (or remount it read-write) and retry.`,
      'PERMISSION_DENIED',
      options,
    );
  }
  if (code === 'ENAMETOOLONG') {
    return new InvalidParameterError(
      `A name is too long for the file system under the ${what} ${location} (ENAMETOOLONG): each part of an artifact path may be at most 255 bytes, the whole path at most 4095. Shorten it.`,
      options,
    );
  }
  return undefined;
}
