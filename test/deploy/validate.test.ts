/** The schema checker itself: it must reject what the API server or CRDs would reject. */
import type { K8sObject } from './render';
import { storedSchemaNames, validateObject } from './validate';

const meta = { name: 'x', namespace: 'ns' };

test('accepts a valid built-in object and a valid custom resource', () => {
  expect(validateObject({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta })).toEqual([]);
  const certificate = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: meta,
    spec: { secretName: 's', issuerRef: { name: 'i' }, usages: ['server auth'] },
  };
  expect(validateObject(certificate)).toEqual([]);
});

test('rejects wrong types in built-in kinds', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: { selector: {}, replicas: 'three', template: { spec: { containers: [] } } },
  } as K8sObject;
  expect(validateObject(deployment).join()).toMatch(/replicas/);
});

test('rejects unknown fields and bad enum values in custom resources', () => {
  const typo = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: meta,
    spec: { secretName: 's', issuerRef: { name: 'i' }, dnsName: ['a'] },
  };
  expect(validateObject(typo).join()).toMatch(/additional properties.*dnsName/);
  const usage = { ...typo, spec: { secretName: 's', issuerRef: { name: 'i' }, usages: ['server-auth'] } };
  expect(validateObject(usage).join()).toMatch(/usages/);
});

test('rejects kinds it has no schema for', () => {
  expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta })).toEqual([
    'Widget/x: no stored schema example.com_v1_Widget.json in test/deploy/schemas',
  ]);
  expect(validateObject({ apiVersion: 'apps/v1', kind: 'Widget', metadata: meta })[0]).toMatch(
    /not a Kubernetes type/,
  );
});

test('stores schemas only for the kinds this project renders', () => {
  expect(storedSchemaNames().sort()).toEqual([
    'argoproj.io_v1alpha1_Application',
    'cert-manager.io_v1_Certificate',
    'cert-manager.io_v1_Issuer',
    'kustomize.toolkit.fluxcd.io_v1_Kustomization',
    'monitoring.coreos.com_v1_ServiceMonitor',
    'skaffold_v4beta14',
    'source.toolkit.fluxcd.io_v1_GitRepository',
  ]);
});
