/**
 * Properties of the admission decision over arbitrary annotations (including non-BMP text), old
 * objects and modes: it never throws, always answers the request's uid, keeps every warning under
 * 120 UTF-16 code units, denies exactly when an error is new (enforce mode) and never in warn mode.
 */
import fc from 'fast-check';
import {
  ANNOTATION_PREFIX,
  SERVICE_META_PREFIX,
  SERVICE_NAME,
  SERVICE_PORT,
  SERVICE_SYNC,
  SERVICE_TAGS,
  SERVICE_WEIGHT,
  analyzeService,
} from '../core/annotations';
import type { AdmissionRequest } from './admission';
import { type Mode, annotationField, reviewAdmission } from './review';

const keys = fc.oneof(
  fc.constantFrom(SERVICE_SYNC, SERVICE_NAME, SERVICE_PORT, SERVICE_TAGS, SERVICE_WEIGHT),
  fc.string({ maxLength: 140 }).map((k) => SERVICE_META_PREFIX + k),
  fc.string({ unit: 'binary', maxLength: 80 }).map((k) => ANNOTATION_PREFIX + k),
);
const values = fc.oneof(
  fc.constantFrom('true', 'yes', '80', '0x1F90', 'http', 'nope', '1', 'a b,a b,k8s', '', ' web '),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 600 }),
);
const annotationMaps = fc.dictionary(keys, values, { maxKeys: 10 });

const service = (annotations: Record<string, string>): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', annotations },
  spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});

const cases = fc.record({
  annotations: annotationMaps,
  // UPDATE keeps some of the new annotations as they were, so ratcheting is exercised.
  keep: fc.option(fc.array(fc.boolean(), { maxLength: 10 }), { nil: undefined }),
  mode: fc.constantFrom<Mode>('enforce', 'warn'),
  uid: fc.string({ minLength: 1, maxLength: 40 }),
});

test('any annotations: a well-formed, deterministic answer that denies exactly on new errors in enforce mode', () => {
  fc.assert(
    fc.property(cases, ({ annotations, keep, mode, uid }) => {
      const entries = Object.entries(annotations);
      const old =
        keep === undefined ? undefined : Object.fromEntries(entries.filter((_, i) => keep[i] === true));
      const request: AdmissionRequest = {
        uid,
        kind: { group: '', version: 'v1', kind: 'Service' },
        operation: old === undefined ? 'CREATE' : 'UPDATE',
        name: 'web',
        namespace: 'shop',
        object: service(annotations),
        ...(old === undefined ? {} : { oldObject: service(old) }),
      };
      const outcome = reviewAdmission(request, { mode });
      const { response } = outcome;
      expect(response.uid).toBe(uid);
      for (const warning of response.warnings ?? []) expect(warning.length).toBeLessThan(120);
      expect(JSON.stringify(reviewAdmission(request, { mode }))).toBe(JSON.stringify(outcome));

      const newErrors = analyzeService(service(annotations) as never).findings.filter(
        (f) =>
          f.severity === 'error' &&
          !(old && Object.hasOwn(old, f.annotation) && old[f.annotation] === annotations[f.annotation]),
      );
      const shouldDeny = mode === 'enforce' && newErrors.length > 0;
      expect(response.allowed).toBe(!shouldDeny);
      if (shouldDeny) {
        expect(response.status).toMatchObject({ code: 400, reason: 'BadRequest' });
        expect(response.status?.details.causes.map((c) => c.field)).toEqual(
          newErrors.map((f) => annotationField(f.annotation)),
        );
        for (const f of newErrors) expect(response.status?.message).toContain(f.message);
      } else {
        expect(response.status).toBeUndefined();
      }
    }),
    { numRuns: 400 },
  );
});
