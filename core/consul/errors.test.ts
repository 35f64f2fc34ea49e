import { ConsulError, kindForStatus, scrubSecret, toConsulError } from './errors';

const response = (statusCode: number, body: unknown) => ({ message: 'x', response: { statusCode, body } });

describe('kindForStatus', () => {
  it.each([
    [403, 'auth'],
    [429, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
    [400, 'bad-request'],
    [404, 'bad-request'],
    [409, 'bad-request'],
    [413, 'bad-request'],
  ] as const)('%d -> %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
  });
});

describe('toConsulError', () => {
  it('keeps the status, the body text and the operation', () => {
    const error = toConsulError(response(500, 'No cluster leader'), 'catalog.register');
    expect(error).toBeInstanceOf(ConsulError);
    expect(error).toMatchObject({
      kind: 'transient',
      statusCode: 500,
      operation: 'catalog.register',
      retryable: true,
    });
    expect(error.message).toBe('consul catalog.register: HTTP 500: No cluster leader');
  });

  it('reads per-operation errors of a 409 transaction; "Permission denied" makes it auth', () => {
    const conflict = toConsulError(
      response(409, { Results: null, Errors: [{ OpIndex: 2, What: 'index is stale' }] }),
      'txn',
    );
    expect(conflict).toMatchObject({
      kind: 'bad-request',
      opErrors: [{ OpIndex: 2, What: 'index is stale' }],
    });
    expect(conflict.message).toBe('consul txn: HTTP 409: op 2: index is stale');
    const denied = toConsulError(
      response(409, {
        Results: null,
        Errors: [
          {
            OpIndex: 0,
            What: "Permission denied: token with AccessorID 'a' lacks permission 'service:write' on \"db\"",
          },
        ],
      }),
      'txn',
    );
    expect(denied.kind).toBe('auth');
    expect(toConsulError(response(403, 'ACL not found'), 'x').kind).toBe('auth');
  });

  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'network error (ECONNREFUSED)'],
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 'network error (ECONNRESET)'],
    [{ isTimeout: true, message: 'request timed out (10ms)' }, 'timed out'],
    [{ isAbort: true, message: 'request aborted' }, 'aborted'],
  ])('network failures are transient: %j', (err, reason) => {
    const error = toConsulError(err, 'catalog.services');
    expect(error).toMatchObject({ kind: 'transient', statusCode: undefined });
    expect(error.message).toBe(`consul catalog.services: ${reason}`);
  });

  it('never carries the token, in the message or per-op errors', () => {
    const token = 'b1946ac9-2c2c-4e66-a3b5-0d9ee0f1e111';
    const error = toConsulError(
      response(409, { Errors: [{ OpIndex: 0, What: `bad token ${token}` }] }),
      'txn',
      token,
    );
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(token);
    expect(scrubSecret(`a ${token} b ${token}`, token)).toBe('a [REDACTED] b [REDACTED]');
    expect(scrubSecret('nothing', undefined)).toBe('nothing');
  });

  it('truncates long bodies to one line', () => {
    const error = toConsulError(response(500, `line1\nline2 ${'x'.repeat(1000)}`), 'x');
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).not.toContain('\n');
  });

  it('returns a ConsulError unchanged', () => {
    const original = new ConsulError('m', 'auth', 'op', 403);
    expect(toConsulError(original, 'other')).toBe(original);
  });
});
