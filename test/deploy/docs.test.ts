/** The manifest snippets in docs/install.md work on the shipped manifests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { workloads } from './inspect';
import { renderTempOverlay, REPO_ROOT } from './render';

const install = readFileSync(path.join(REPO_ROOT, 'docs', 'install.md'), 'utf8');
const yamlBlocks = [...install.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

test('the SSH credentials patch switches the generator from the token to the SSH key', async () => {
  const block = yamlBlocks.find((b) => b.includes('--git-ssh-key-file'));
  const { patches } = yaml.load(block ?? '') as { patches: unknown[] };
  const objects = await renderTempOverlay((rel) => ({ resources: [rel('overlays/production')], patches }));
  const generator = workloads(objects).find((w) => w.object.metadata.name === 'consul-k8s-gitops-generator');
  const args = generator?.template.spec.containers[0]?.args ?? [];
  expect(args).toContain('--git-ssh-key-file=/etc/consul-k8s-gitops/git/ssh-privatekey');
  expect(args).toContain('--git-known-hosts-file=/etc/consul-k8s-gitops/git/known_hosts');
  expect(args.some((a) => a.startsWith('--git-token-file'))).toBe(false);
});

test('the settings snippet names the ConfigMaps and keys the base defines', () => {
  const block = yamlBlocks.find((b) => b.includes('configMapGenerator'));
  const documented = (
    yaml.load(block ?? '') as { configMapGenerator: { name: string; literals: string[] }[] }
  ).configMapGenerator;
  const base = yaml.load(
    readFileSync(path.join(REPO_ROOT, 'deploy', 'base', 'kustomization.yaml'), 'utf8'),
  ) as {
    configMapGenerator: { name: string; literals: string[] }[];
  };
  const keys = (g: { literals: string[] }) => g.literals.map((l) => l.split('=')[0]);
  for (const generator of documented) {
    const shipped = base.configMapGenerator.find((g) => g.name === generator.name);
    expect(shipped).toBeDefined();
    for (const key of keys(generator)) expect(keys(shipped as { literals: string[] })).toContain(key);
  }
});

test('the EKS overlay-CNI patch puts the webhook on the node network, and nothing else', async () => {
  const block = yamlBlocks.find((b) => b.includes('hostNetwork'));
  const { patches } = yaml.load(block ?? '') as { patches: unknown[] };
  const objects = await renderTempOverlay((rel) => ({ resources: [rel('overlays/production')], patches }));
  for (const w of workloads(objects)) {
    const webhook = w.object.metadata.name === 'consul-k8s-gitops-webhook';
    expect({ name: w.object.metadata.name, hostNetwork: w.template.spec.hostNetwork ?? false }).toEqual({
      name: w.object.metadata.name,
      hostNetwork: webhook,
    });
  }
});

test('the install notes cover GKE private clusters, EKS overlay CNIs, kind and the chart', () => {
  expect(install).toMatch(/GKE private clusters[\s\S]*443 and 10250[\s\S]*tcp:8443/);
  expect(install).toMatch(/EKS with an overlay CNI[\s\S]*hostNetwork/);
  expect(install).toMatch(/### kind[\s\S]*ignores NetworkPolicies/);
  expect(install).toMatch(/helm install consul-k8s-gitops deploy\/chart/);
});

test('gitops.md: the CoreDNS block forwards the Consul domain the generator writes into externalName', () => {
  const gitops = readFileSync(path.join(REPO_ROOT, 'docs', 'gitops.md'), 'utf8');
  const block = [...gitops.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .find((b) => b.includes('Corefile'));
  const configMap = yaml.load(block ?? '') as {
    kind: string;
    metadata: { name: string; namespace: string };
    data: { Corefile: string };
  };
  expect(configMap).toMatchObject({
    kind: 'ConfigMap',
    metadata: { name: 'coredns', namespace: 'kube-system' },
  });
  // The default --consul-domain: a server block for it, forwarding to an address.
  const zone = /^ {0,4}consul:53 \{\n([\s\S]*?)\n {0,4}\}/m.exec(configMap.data.Corefile)?.[1] ?? '';
  expect(zone).toMatch(/^\s*forward \. \d+\.\d+\.\d+\.\d+$/m);
  // And the manual apply uses -k: `kubectl apply -f` would send kustomization.yaml to the API server.
  expect(gitops).toMatch(/kubectl apply --server-side -k <path>/);
});
