import {
  MAX_WARNING_LENGTH,
  type AdmissionRequest,
  type ReviewOptions,
  admissionReviewOf,
  parseAdmissionReview,
  reviewAdmission,
  serializeReview,
  shortWarning,
  subjectOf,
} from './review';
import { DEFAULT_SYNC_SETTINGS } from '../core/annotations';

const PORT = 'consul.hashicorp.com/service-port';
const SYNC = 'consul.hashicorp.com/service-sync';
const TYPO = 'consul.hashicorp.com/servce-name';
const TAGS = 'consul.hashicorp.com/service-tags';

function service(
  annotations: Record<string, string>,
  extra: { name?: string; ports?: object[] } = {},
): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: extra.name ?? 'web', namespace: 'shop', annotations },
    spec: { type: 'ClusterIP', ports: extra.ports ?? [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

function request(fields: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    uid: 'uid-1',
    kind: { group: '', version: 'v1', kind: 'Service' },
    operation: 'CREATE',
    name: 'web',
    namespace: 'shop',
    object: service({}),
    ...fields,
  };
}

const enforce: ReviewOptions = { mode: 'enforce' };
const warn: ReviewOptions = { mode: 'warn' };

describe('parseAdmissionReview', () => {
  const ok = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u' } };
  test.each<[string, unknown, RegExp]>([
    ['an array', [], /JSON object/],
    ['null', null, /JSON object/],
    [
      'v1beta1',
      { ...ok, apiVersion: 'admission.k8s.io/v1beta1' },
      /apiVersion\/kind: expected admission.k8s.io\/v1 AdmissionReview, got "admission.k8s.io\/v1beta1"/,
    ],
    ['another kind', { ...ok, kind: 'Service' }, /got "admission.k8s.io\/v1" "Service"/],
    ['no request', { ...ok, request: undefined }, /^request: missing/],
    ['no uid', { ...ok, request: {} }, /^request.uid: missing/],
    ['empty uid', { ...ok, request: { uid: '' } }, /^request.uid: missing/],
    ['numeric uid', { ...ok, request: { uid: 7 } }, /^request.uid/],
  ])('rejects %s, naming the field', (_name, body, message) => {
    const result = parseAdmissionReview(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });

  test('accepts a v1 review with a uid', () => {
    expect(parseAdmissionReview(ok)).toEqual({ ok: true, request: { uid: 'u' } });
  });
});

describe('reviewAdmission: what is checked', () => {
  const bad = service({ [PORT]: '0x1F90' });
  test.each<[string, Partial<AdmissionRequest>, string]>([
    ['DELETE', { operation: 'DELETE', object: undefined, oldObject: bad }, 'DELETE'],
    ['CONNECT', { operation: 'CONNECT', object: bad }, 'CONNECT'],
    [
      'a subresource',
      { operation: 'UPDATE', subResource: 'status', object: bad, oldObject: service({}) },
      'UPDATE',
    ],
    [
      'another kind',
      { kind: { group: '', version: 'v1', kind: 'ConfigMap' }, object: { ...bad, kind: 'ConfigMap' } },
      'CREATE',
    ],
    ['another group', { kind: { group: 'example.com', version: 'v1', kind: 'Service' } }, 'CREATE'],
    ['an unknown operation', { operation: 'PATCH', object: bad }, 'other'],
  ])('%s is allowed untouched', (_name, fields, operation) => {
    const outcome = reviewAdmission(request(fields), enforce);
    expect(outcome).toEqual({
      response: { uid: 'uid-1', allowed: true },
      operation,
      verdict: 'skipped',
      findings: [],
      deniedRules: [],
    });
  });

  test('without request.kind, a v1 Service object is still checked', () => {
    const outcome = reviewAdmission(request({ kind: undefined, object: bad }), enforce);
    expect(outcome.verdict).toBe('denied');
  });
});

describe('reviewAdmission: verdicts', () => {
  test.each<
    [string, AdmissionRequest, ReviewOptions, { allowed: boolean; verdict: string; warnings?: RegExp[] }]
  >([
    ['CREATE without annotations', request(), enforce, { allowed: true, verdict: 'allowed' }],
    [
      'CREATE with valid annotations',
      request({ object: service({ [PORT]: 'http', [SYNC]: 'true' }) }),
      enforce,
      { allowed: true, verdict: 'allowed' },
    ],
    [
      'CREATE with an unknown key',
      request({ object: service({ [TYPO]: 'x' }) }),
      enforce,
      {
        allowed: true,
        verdict: 'warned',
        warnings: [/^consul.hashicorp.com\/servce-name: .*did you mean consul.hashicorp.com\/service-name/],
      },
    ],
    [
      'CREATE with an error',
      request({ object: service({ [PORT]: '0x1F90' }) }),
      enforce,
      { allowed: false, verdict: 'denied' },
    ],
    [
      'CREATE with an error, warn mode',
      request({ object: service({ [PORT]: '0x1F90' }) }),
      warn,
      {
        allowed: true,
        verdict: 'warned',
        warnings: [/^error \(warn mode\): consul.hashicorp.com\/service-port: "0x1F90"/],
      },
    ],
    [
      'UPDATE introducing an error',
      request({ operation: 'UPDATE', object: service({ [SYNC]: 'yes' }), oldObject: service({}) }),
      enforce,
      {
        allowed: false,
        verdict: 'denied',
      },
    ],
    [
      'UPDATE changing one bad value to another',
      request({
        operation: 'UPDATE',
        object: service({ [SYNC]: 'on' }),
        oldObject: service({ [SYNC]: 'yes' }),
      }),
      enforce,
      {
        allowed: false,
        verdict: 'denied',
      },
    ],
    [
      'UPDATE keeping an existing error (ratcheting)',
      request({
        operation: 'UPDATE',
        object: service({ [SYNC]: 'yes', [TAGS]: 'new' }),
        oldObject: service({ [SYNC]: 'yes' }),
      }),
      enforce,
      {
        allowed: true,
        verdict: 'warned',
        warnings: [/^error \(unchanged\): consul.hashicorp.com\/service-sync: "yes"/],
      },
    ],
    [
      'CREATE does not ratchet against a stray oldObject',
      request({ object: service({ [SYNC]: 'yes' }), oldObject: service({ [SYNC]: 'yes' }) }),
      enforce,
      {
        allowed: false,
        verdict: 'denied',
      },
    ],
  ])('%s', (_name, req, options, expected) => {
    const { response, verdict } = reviewAdmission(req, options);
    expect(response.uid).toBe('uid-1');
    expect(response.allowed).toBe(expected.allowed);
    expect(verdict).toBe(expected.verdict);
    if (expected.warnings) {
      expect(response.warnings).toHaveLength(expected.warnings.length);
      expected.warnings.forEach((pattern, i) => expect(response.warnings?.[i]).toMatch(pattern));
    } else if (expected.allowed) {
      expect(response.warnings).toBeUndefined();
    }
  });

  test('a denial lists every error, with the annotation path of each as field, and keeps the warnings', () => {
    const outcome = reviewAdmission(
      request({ object: service({ [PORT]: '0x1F90', [SYNC]: 'yes', [TYPO]: 'x' }) }),
      enforce,
    );
    const { status, warnings } = outcome.response;
    expect(outcome.response.allowed).toBe(false);
    expect(status).toMatchObject({
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      details: { name: 'web', group: '', kind: 'Service' },
    });
    expect(status?.message).toMatch(/^Service "web" is invalid: 2 annotation errors: /);
    expect(status?.message).toContain('consul.hashicorp.com/service-port: "0x1F90"');
    expect(status?.message).toContain('consul.hashicorp.com/service-sync: "yes"');
    expect(status?.details.causes.map((cause) => cause.field).sort()).toEqual([
      'metadata.annotations[consul.hashicorp.com/service-port]',
      'metadata.annotations[consul.hashicorp.com/service-sync]',
    ]);
    for (const cause of status?.details.causes ?? []) expect(cause.reason).toBe('FieldValueInvalid');
    expect(warnings).toEqual([expect.stringMatching(/^consul.hashicorp.com\/servce-name/)]);
    expect(outcome.deniedRules.sort()).toEqual(['service-port/not-decimal', 'service-sync/invalid']);
  });

  test('ratcheting is per annotation: a kept error warns while a new one denies', () => {
    const outcome = reviewAdmission(
      request({
        operation: 'UPDATE',
        object: service({ [PORT]: '0x1F90', [SYNC]: 'yes' }),
        oldObject: service({ [PORT]: '0x1F90' }),
      }),
      enforce,
    );
    expect(outcome.verdict).toBe('denied');
    expect(outcome.response.status?.details.causes.map((c) => c.field)).toEqual([
      'metadata.annotations[consul.hashicorp.com/service-sync]',
    ]);
    expect(outcome.response.warnings).toEqual([
      expect.stringMatching(/^error \(unchanged\): consul.hashicorp.com\/service-port/),
    ]);
  });

  test('every warning is shorter than 120 characters', () => {
    const long = 'x'.repeat(500);
    const outcome = reviewAdmission(
      request({
        object: service({ [`consul.hashicorp.com/${long}`]: long, [PORT]: `0x${'F'.repeat(300)}` }),
      }),
      warn,
    );
    expect(outcome.response.warnings?.length).toBeGreaterThan(0);
    for (const warning of outcome.response.warnings ?? []) expect(warning.length).toBeLessThan(120);
  });
});

describe('shortWarning and serializeReview', () => {
  test('shortWarning keeps short text, cuts long text with an ellipsis and never splits a character', () => {
    expect(shortWarning('short')).toBe('short');
    expect(shortWarning('a\nb')).toBe('a b');
    const cut = shortWarning(`${'a'.repeat(116)}😀😀😀`);
    expect(cut).toHaveLength(MAX_WARNING_LENGTH);
    expect(cut.endsWith('a😀…')).toBe(true);
    // A pair that does not fit whole is dropped, never split.
    const odd = shortWarning(`${'a'.repeat(117)}😀😀😀`);
    expect(odd).toBe(`${'a'.repeat(117)}…`);
    const astral = shortWarning('😀'.repeat(200));
    expect(astral.length).toBeLessThan(120);
    expect(astral).toBe(`${'😀'.repeat(59)}…`);
  });

  test('warnings quoting non-BMP values stay under 120 UTF-16 code units', () => {
    const outcome = reviewAdmission(
      request({
        object: service({
          'consul.hashicorp.com/service-name': '😀'.repeat(60),
          [PORT]: `0x${'😀'.repeat(80)}`,
          [TAGS]: `${'😀'.repeat(30)} x,${'😀'.repeat(30)} x`,
        }),
      }),
      warn,
    );
    expect(outcome.response.warnings?.length).toBeGreaterThanOrEqual(3);
    for (const warning of outcome.response.warnings ?? []) expect(warning.length).toBeLessThan(120);
  });

  test.each([
    { uid: 'a"b', allowed: true },
    { uid: 'u', allowed: true, warnings: ['w'] },
    {
      uid: 'u',
      allowed: false,
      status: {
        status: 'Failure' as const,
        code: 422,
        reason: 'Invalid',
        message: 'm',
        details: { group: '', kind: 'Service', causes: [] },
      },
    },
  ])('serializeReview(%j) equals JSON.stringify of the full review', (response) => {
    expect(JSON.parse(serializeReview(response))).toEqual(admissionReviewOf(response));
  });
});

describe('registrar settings (--warn-unsynced)', () => {
  const inKubeSystem = (fields: Partial<AdmissionRequest>): AdmissionRequest => {
    const object = service({ [SYNC]: 'true' }) as { metadata: Record<string, unknown> };
    delete object.metadata.namespace; // as on CREATE: the namespace comes from the request URL
    return request({ namespace: 'kube-system', object, ...fields });
  };

  test('a Service asking to be synced in a denied namespace gets a warning, namespace taken from the request', () => {
    const outcome = reviewAdmission(inKubeSystem({}), {
      mode: 'enforce',
      analyze: { syncSettings: DEFAULT_SYNC_SETTINGS },
    });
    expect(outcome.response.allowed).toBe(true);
    expect(outcome.findings.map((f) => f.rule)).toEqual(['sync/not-synced']);
    expect(outcome.response.warnings).toEqual([expect.stringContaining('kube-system')]);
  });

  test('without the settings, no such warning', () => {
    expect(reviewAdmission(inKubeSystem({}), enforce).response).toEqual({ uid: 'uid-1', allowed: true });
  });
});

describe('subjectOf', () => {
  test.each<[string, Partial<AdmissionRequest>, { namespace?: string; name?: string }]>([
    ['the request fields', { namespace: 'a', name: 'b' }, { namespace: 'a', name: 'b' }],
    [
      'the object when the request has none',
      { namespace: '', name: undefined },
      { namespace: 'shop', name: 'web' },
    ],
    [
      'generateName when there is no name yet',
      { name: undefined, object: { metadata: { generateName: 'web-', namespace: 'x' } } },
      { namespace: 'shop', name: 'web-' },
    ],
    [
      'the old object on DELETE',
      { name: undefined, namespace: undefined, object: null, oldObject: service({}) },
      { namespace: 'shop', name: 'web' },
    ],
  ])('takes %s', (_name, fields, expected) => {
    expect(subjectOf(request(fields))).toEqual(expected);
  });
});
