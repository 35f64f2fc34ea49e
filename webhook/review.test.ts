import {
  type AdmissionRequest,
  admissionReviewOf,
  parseAdmissionReview,
  serializeReview,
  subjectOf,
} from './admission';
import { type ReviewOptions, reviewAdmission } from './review';
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
    ['empty uid', { ...ok, request: { uid: '' } }, /^request.uid: empty; expected a non-empty string$/],
    // Finding 10: a numeric uid was reported as "missing".
    ['numeric uid', { ...ok, request: { uid: 7 } }, /^request.uid: must be a string, got a number$/],
    ['object uid', { ...ok, request: { uid: {} } }, /^request.uid: must be a string, got a object$/],
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
  const bad = service({ [PORT]: '0x10000' });
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
      request({ object: service({ [PORT]: '0x10000' }) }),
      enforce,
      { allowed: false, verdict: 'denied' },
    ],
    [
      'CREATE with an error, warn mode',
      request({ object: service({ [PORT]: '0x10000' }) }),
      warn,
      {
        allowed: true,
        verdict: 'warned',
        warnings: [/^error \(warn mode\): consul.hashicorp.com\/service-port: "0x10000"/],
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

  // kubectl (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go checkErr) prints a status with
  // reason Invalid from its causes alone ("The Service "web" is invalid: * <field>: <message>"),
  // dropping the message that carries the webhook's name (finding 9). Any other reason is printed
  // as "Error from server (<reason>): <message>", the message prefixed by the API server
  // (apiserver/pkg/admission/plugin/webhook/errors/statuserror.go ToStatusErr) with
  // `admission webhook "<name>" denied the request: `.
  test('a denial is a BadRequest, not Invalid, so kubectl prints the webhook name and one line per error', () => {
    const outcome = reviewAdmission(
      request({ object: service({ [PORT]: '0x10000', [SYNC]: 'yes', [TYPO]: 'x' }) }),
      enforce,
    );
    const { status, warnings } = outcome.response;
    expect(outcome.response.allowed).toBe(false);
    expect(status).toMatchObject({
      status: 'Failure',
      code: 400,
      reason: 'BadRequest',
      details: { name: 'web', group: '', kind: 'Service' },
    });
    expect(status?.message).toBe(
      [
        'Service "web" has 2 annotation errors:',
        '- consul.hashicorp.com/service-port: "0x10000" is out of range (consul-k8s would register port 65536); use a port number 1-65535 or a port name',
        '- consul.hashicorp.com/service-sync: "yes" is not a boolean; use "true" or "false" (consul-k8s ignores it and uses the default)',
      ].join('\n'),
    );
    // The key is in the field, not repeated in the cause's message.
    expect(status?.details.causes.map((cause) => cause.message)).toContain(
      '"yes" is not a boolean; use "true" or "false" (consul-k8s ignores it and uses the default)',
    );
    expect(status?.details.causes.map((cause) => cause.field).sort()).toEqual([
      'metadata.annotations[consul.hashicorp.com/service-port]',
      'metadata.annotations[consul.hashicorp.com/service-sync]',
    ]);
    for (const cause of status?.details.causes ?? []) expect(cause.reason).toBe('FieldValueInvalid');
    expect(warnings).toEqual([expect.stringMatching(/^consul.hashicorp.com\/servce-name/)]);
    expect(outcome.deniedRules.sort()).toEqual(['service-port/out-of-range', 'service-sync/invalid']);
  });

  test('one error is the whole message: it follows "denied the request: " on one line', () => {
    const { status } = reviewAdmission(request({ object: service({ [SYNC]: 'yes' }) }), enforce).response;
    expect(status?.message).toBe(
      'consul.hashicorp.com/service-sync: "yes" is not a boolean; use "true" or "false" (consul-k8s ignores it and uses the default)',
    );
  });

  test('ratcheting is per annotation: a kept error warns while a new one denies', () => {
    const outcome = reviewAdmission(
      request({
        operation: 'UPDATE',
        object: service({ [PORT]: '0x10000', [SYNC]: 'yes' }),
        oldObject: service({ [PORT]: '0x10000' }),
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

  // Finding 4: ClusterIP with one port, so the sync adds 3 pairs (external-source,
  // external-k8s-ns, port-http): 62 user keys are 65 pairs. A 63rd key was allowed as
  // "error (unchanged)"; the registrar then dropped an existing key.
  test('an UPDATE that adds a meta key to a Service already over 64 pairs is denied; one that keeps the count is not', () => {
    const meta = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          `consul.hashicorp.com/service-meta-k${String(i).padStart(2, '0')}`,
          'v',
        ]),
      );
    const grow = reviewAdmission(
      request({ operation: 'UPDATE', object: service(meta(63)), oldObject: service(meta(62)) }),
      enforce,
    );
    expect(grow.verdict).toBe('denied');
    expect(grow.deniedRules).toEqual(['service-meta/too-many']);
    const keep = reviewAdmission(
      request({
        operation: 'UPDATE',
        object: service({ ...meta(62), 'consul.hashicorp.com/service-tags': 'a' }),
        oldObject: service(meta(62)),
      }),
      enforce,
    );
    expect(keep.verdict).toBe('warned');
    expect(keep.response.warnings?.[0]).toMatch(/^error \(unchanged\): .*65 meta pairs/);
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

describe('serializeReview', () => {
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
        code: 400,
        reason: 'BadRequest',
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
