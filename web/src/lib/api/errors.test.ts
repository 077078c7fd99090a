import { shouldRetry } from '@/lib/query-client';
import { ApiError, toApiError, unwrap } from './errors';

const response = (status: number) => new Response(null, { status });

describe('unwrap', () => {
  it('returns the data of a successful call', async () => {
    await expect(unwrap(Promise.resolve({ data: { ok: 1 }, response: response(200) }))).resolves.toEqual({ ok: 1 });
  });

  it('turns the error envelope into a typed ApiError with field messages', async () => {
    const error = await unwrap(
      Promise.resolve({
        error: { error: 'VALIDATION_ERROR', message: 'Invalid', fields: [{ field: 'body.first_name', message: 'Required' }] },
        response: response(422),
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', message: 'Invalid', fields: { firstName: 'Required' } });
  });

  it('turns a network failure into NETWORK_ERROR', async () => {
    const error = (await unwrap(Promise.reject(new TypeError('Failed to fetch'))).catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.isNetworkError).toBe(true);
  });

  it('copes with an answer that is not the envelope', () => {
    expect(toApiError(502, '<html>Bad gateway</html>')).toMatchObject({ status: 502, code: 'UNKNOWN_ERROR' });
  });
});

describe('query retries', () => {
  it('never retries a 4xx answer', () => {
    expect(shouldRetry(0, new ApiError(404, 'NOT_FOUND', 'nope'))).toBe(false);
    expect(shouldRetry(0, new ApiError(409, 'SEAT_ALREADY_TAKEN', 'taken'))).toBe(false);
  });

  it('retries network errors and 5xx a couple of times', () => {
    expect(shouldRetry(0, new ApiError(0, 'NETWORK_ERROR', 'offline'))).toBe(true);
    expect(shouldRetry(1, new ApiError(503, 'SERVICE_UNAVAILABLE', 'busy'))).toBe(true);
    expect(shouldRetry(2, new ApiError(503, 'SERVICE_UNAVAILABLE', 'busy'))).toBe(false);
  });
});
