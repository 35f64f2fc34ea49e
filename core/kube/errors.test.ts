import { ApiException } from '@kubernetes/client-node';
import { describeKubeError, isAlreadyExists, isConflict, isNotFound, kubeErrorStatus } from './errors';

const status = (code: number, reason: string, message: string): string =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

describe('Kubernetes API errors', () => {
  test('reads code, reason and message from an ApiException', () => {
    const error = new ApiException(
      409,
      'Conflict',
      status(409, 'AlreadyExists', 'services "web" already exists'),
      {
        'set-cookie': 'session=secret',
      },
    );
    expect(kubeErrorStatus(error)).toEqual({
      code: 409,
      reason: 'AlreadyExists',
      message: 'services "web" already exists',
    });
    expect(isAlreadyExists(error)).toBe(true);
    expect(isConflict(error)).toBe(true);
    expect(isNotFound(error)).toBe(false);
    // The exception's own message embeds response headers; the description does not.
    expect(describeKubeError(error)).toBe('HTTP 409 AlreadyExists: services "web" already exists');
  });

  test('watch errors carry statusCode', () => {
    expect(kubeErrorStatus(Object.assign(new Error('Gone'), { statusCode: 410 }))?.code).toBe(410);
  });

  test('other errors: their first line', () => {
    expect(describeKubeError(new Error('connect ECONNREFUSED 127.0.0.1:1\nmore'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(kubeErrorStatus('nope')).toBeUndefined();
  });
});
