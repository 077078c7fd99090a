/** One typed error for everything that can go wrong talking to the API. */
export type ApiErrorCode =
  | 'VALIDATION_ERROR'
  | 'INVALID_JSON'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'USER_EXISTS'
  | 'INSUFFICIENT_INVENTORY'
  | 'SEAT_ALREADY_TAKEN'
  | 'ORDER_LIMIT_EXCEEDED'
  | 'EVENT_DATE_PAST'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  /** The request never got an answer (offline, server down, connection dropped). */
  | 'NETWORK_ERROR'
  /** An answer that is not the error envelope (proxy page, HTML 502...). */
  | 'UNKNOWN_ERROR'
  | (string & {});

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  /** Field name -> message, from a VALIDATION_ERROR envelope. */
  readonly fields: Record<string, string>;

  constructor(status: number, code: ApiErrorCode, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  get isNetworkError(): boolean {
    return this.code === 'NETWORK_ERROR';
  }

  /** 4xx answers are final: retrying the same request gives the same answer. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

interface Envelope {
  error: string;
  message: string;
  fields?: { field: string; message: string }[] | null;
}

function isEnvelope(body: unknown): body is Envelope {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Envelope).error === 'string' &&
    typeof (body as Envelope).message === 'string'
  );
}

/** Turns whatever came back in place of data into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  if (isEnvelope(body)) {
    const fields: Record<string, string> = {};
    for (const f of body.fields ?? []) {
      // Keep the first message per field; "body.email" style paths keep their last part.
      const last = f.field.split('.').pop() ?? f.field;
      const key = last.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      fields[key] ??= f.message;
    }
    return new ApiError(status, body.error, body.message, fields);
  }
  if (status === 0) return new ApiError(0, 'NETWORK_ERROR', 'Could not reach Ticketbooth. Check your connection and try again.');
  return new ApiError(status, 'UNKNOWN_ERROR', `Unexpected answer from the server (HTTP ${status}).`);
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws an ApiError
 * built from the error envelope (or from the network failure).
 */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw toApiError(0, undefined);
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  throw toApiError(response.status, error);
}

/** A short human message for any error thrown by a query or mutation. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
