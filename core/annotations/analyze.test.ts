import { analyzeService } from './analyze';
import { RULES, ALL_RULES } from './rules';
import { splitTags } from './tags';
import type { AnalyzeOptions, ServiceLike, SyncSettings } from './types';

const P = 'consul.hashicorp.com/';

function service(
  annotations: Record<string, unknown>,
  spec: ServiceLike['spec'] = {},
  namespace = 'apps',
): ServiceLike {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace, annotations: annotations as Record<string, string> },
    spec: {
      type: 'LoadBalancer',
      ports: [
        { name: 'http', port: 80, targetPort: 8080, nodePort: 30080 },
        { name: 'grpc', port: 9090 },
      ],
      ...spec,
    },
  };
}

/** Rule ids found for one annotation value, in order. */
function rulesFor(
  key: string,
  value: unknown,
  spec?: ServiceLike['spec'],
  options?: AnalyzeOptions,
): string[] {
  return analyzeService(service({ [P + key]: value }, spec), options).findings.map((f) => f.rule);
}

describe('service-sync', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('accepts %j as true', (v) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-sync']: v }));
    expect(findings).toEqual([]);
    expect(intent.sync).toBe(true);
  });
  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('accepts %j as false', (v) => {
    expect(analyzeService(service({ [P + 'service-sync']: v })).intent.sync).toBe(false);
  });
  it.each(['yes', 'on', ' true', 'true ', '', 'tRUE', 'no', '2'])(
    'rejects %j and falls back to the default',
    (v) => {
      const { intent, findings } = analyzeService(service({ [P + 'service-sync']: v }));
      expect(findings.map((f) => f.rule)).toEqual([RULES.syncInvalid.id]);
      expect(findings[0]!.severity).toBe('error');
      expect(findings[0]!.message).toContain(`${P}service-sync: ${JSON.stringify(v)}`);
      expect(intent.sync).toBeUndefined();
    },
  );
});

describe('service-name', () => {
  it('accepts a DNS label and trims nothing', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-name']: 'billing-api' }));
    expect(findings).toEqual([]);
    expect(intent).toMatchObject({ name: 'billing-api' });
    expect(intent.skipReason).toBeUndefined();
  });
  it.each([
    ['', [RULES.nameEmpty.id]],
    ['   ', [RULES.nameEmpty.id]],
    ['x'.repeat(256), [RULES.nameTooLong.id]],
    ['a/b', [RULES.nameInvalidCharacter.id]],
    ['a\u0007b', [RULES.nameInvalidCharacter.id]],
    ['a\nb', [RULES.nameInvalidCharacter.id]],
  ])('rejects %j and registers nothing', (value, rules) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-name']: value }));
    expect(findings.map((f) => f.rule)).toEqual(rules);
    expect(findings.every((f) => f.severity === 'error')).toBe(true);
    expect(intent.name).toBeUndefined();
    expect(intent.skipReason).toContain('service-name');
  });
  it('accepts exactly 255 characters, warning that it is no DNS label', () => {
    expect(rulesFor('service-name', 'a'.repeat(255))).toEqual([RULES.nameNotDnsLabel.id]);
  });
  it('warns about surrounding whitespace and uses the trimmed name', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-name']: '  web  ' }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.nameWhitespace.id, 'warning']]);
    expect(findings[0]!.message).toContain('trimmed to "web"');
    expect(intent.name).toBe('web');
  });
  it.each(['web_api', 'web.api', '-web', 'web-', 'a'.repeat(64), 'ünïcode'])(
    'warns that %j is not a DNS label',
    (v) => {
      const { intent, findings } = analyzeService(service({ [P + 'service-name']: v }));
      expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.nameNotDnsLabel.id, 'warning']]);
      expect(intent.name).toBe(v);
    },
  );
  it.each(['Web', 'a'.repeat(63), '9lives'])('accepts %j as a DNS label', (v) => {
    expect(rulesFor('service-name', v)).toEqual([]);
  });
});

describe('service-port', () => {
  it.each([
    ['80', { kind: 'number', number: 80 }],
    ['8080', { kind: 'number', number: 8080 }],
    ['30080', { kind: 'number', number: 30080 }],
    ['http', { kind: 'name', name: 'http' }],
    ['grpc', { kind: 'name', name: 'grpc' }],
  ])('accepts %j', (value, port) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-port']: value }));
    expect(findings).toEqual([]);
    expect(intent.port).toEqual(port);
  });
  // consul-k8s reads the value with strconv.ParseInt(v, 0, 0): every Go integer literal is a port.
  it.each([
    ['0x2328', 9000],
    ['0x1F90', 8080],
    ['0X1f90', 8080],
    ['010', 8],
    ['+80', 80],
    ['0o17', 15],
    ['0O17', 15],
    ['0b101', 5],
    ['8_080', 8080],
    ['0x_1F90', 8080],
    ['0_17', 15],
    ['0xFFFF', 65535],
  ])('reads %j as consul-k8s does (%d) and warns what to write', (value, number) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-port']: value }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.portNotDecimal.id, 'warning']]);
    expect(findings[0]!.message).toContain(
      `is not a decimal number: consul-k8s parses Go integer literals and reads it as ${number}`,
    );
    expect(findings[0]!.message).toContain(`write "${number}"`);
    expect(intent.port).toEqual({ kind: 'number', number });
  });
  it('reads an unknown port name as consul-k8s does: the first Service port, said in the warning', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-port']: 'htp' }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.portUnknownName.id, 'warning']]);
    expect(findings[0]!.message).toBe(
      `${P}service-port: "htp" matches no port name (declared: http, grpc); consul-k8s registers the first Service port, 80, on every instance (endpoint instances too, instead of their endpoint port), and so does the registrar; write "80" to keep that, or one of http, grpc`,
    );
    expect(intent.port).toEqual({ kind: 'name', name: 'htp' });
  });
  it('names the node port of a NodePort Service as the port an unknown name gives', () => {
    const nodePort = service({ [P + 'service-port']: 'htp' }, { type: 'NodePort' });
    const ports = nodePort.spec!.ports;
    const { findings } = analyzeService({ ...nodePort, spec: { type: 'NodePort', ports } });
    expect(findings[0]!.message).toContain('the first Service port, 30080, on every instance');
  });
  it.each([
    ['8__080', RULES.portInvalid.id, 'is neither a port number nor a port name'],
    ['HTTP', RULES.portInvalid.id, 'port names are lowercase letters, digits and "-"; declared: http, grpc'],
    ['not a port!', RULES.portInvalid.id, 'is neither a port number nor a port name'],
    ['65536', RULES.portOutOfRange.id, 'out of range (consul-k8s would register port 65536)'],
    ['0x10000', RULES.portOutOfRange.id, 'out of range (consul-k8s would register port 65536)'],
    ['99999999999999999999', RULES.portOutOfRange.id, 'would read it as a port name that matches nothing'],
    ['-80', RULES.portOutOfRange.id, 'negative (consul-k8s would register port -80)'],
    ['-0x50', RULES.portOutOfRange.id, 'negative (consul-k8s would register port -80)'],
    ['  ', RULES.portEmpty.id, 'is whitespace only'],
  ])('rejects %j', (value, rule, text) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-port']: value }));
    expect(findings.map((f) => f.rule)).toEqual([rule]);
    expect(findings[0]!.severity).toBe('error');
    expect(findings[0]!.message).toContain(text);
    expect(intent.port).toBeUndefined();
  });
  it.each(['00', '0x0', '-0', '+0', '0_0'])('reads %j as 0, "no port given", with a warning', (value) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-port']: value }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.portZero.id, 'warning']]);
    expect(findings[0]!.message).toContain(`"${value}" is 0, and 0 means the first port`);
    expect(intent.port).toBeUndefined();
  });
  it('chooses no port on a Service without ports: consul-k8s ignores the annotation there', () => {
    for (const value of ['8080', 'http']) {
      const { intent, findings } = analyzeService(service({ [P + 'service-port']: value }, { ports: [] }));
      expect(findings.map((f) => f.severity)).toEqual(['warning']);
      expect(intent.port).toBeUndefined();
    }
  });
  // consul-k8s (control-plane/catalog/to-consul/resource.go): strconv.ParseInt(v, 0, 0) of "" fails
  // and no port is named "", so the first port is used; "0" parses, and port 0 means "not set".
  it('accepts "" as "no port given", like consul-k8s (Go ParseInt fails, no port named "")', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-port']: '' }));
    expect(findings).toEqual([]);
    expect(intent.port).toBeUndefined();
  });
  it('only warns about "0": consul-k8s (Go ParseInt gives 0) falls back to the first port', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-port']: '0' }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.portZero.id, 'warning']]);
    expect(intent.port).toBeUndefined();
  });
  it('says when the Service has no named ports', () => {
    const { findings } = analyzeService(service({ [P + 'service-port']: 'http' }, { ports: [{ port: 80 }] }));
    expect(findings[0]!.message).toContain('no named ports');
  });
  it('warns about a number that is not among the ports', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-port']: '8081' }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.portNotDeclared.id, 'warning']]);
    expect(intent.port).toEqual({ kind: 'number', number: 8081 });
  });
});

describe('service-tags', () => {
  it('splits like consul-k8s', () => {
    expect(splitTags('tag')).toEqual(['tag']);
    expect(splitTags(',,removes,,empty,elems,,')).toEqual(['removes', 'empty', 'elems']);
    expect(splitTags('removes , white  ,space ')).toEqual(['removes', 'white', 'space']);
    expect(splitTags('\\,leading,comma')).toEqual([',leading', 'comma']);
    expect(splitTags('trailing,comma\\,')).toEqual(['trailing', 'comma,']);
    expect(splitTags('\\,\\,multi\\,\\,,\\,com\\,\\,ma')).toEqual([',,multi,,', ',com,,ma']);
    expect(splitTags('a, ,b')).toEqual(['a', '', 'b']);
  });
  it('accepts clean tags, escaped commas included', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-tags']: 'blue, v2,a\\,b' }));
    expect(findings).toEqual([]);
    expect(intent.tags).toEqual(['blue', 'v2', 'a,b']);
  });
  it.each([
    ['a,,b', [RULES.tagsEmpty.id], ['a', 'b']],
    ['a, ,b', [RULES.tagsEmpty.id], ['a', 'b']],
    ['a,', [RULES.tagsEmpty.id], ['a']],
    [',a', [RULES.tagsEmpty.id], ['a']],
    ['my tag', [RULES.tagsWhitespace.id], ['my tag']],
    ['a,b,a', [RULES.tagsDuplicate.id], ['a', 'b']],
    ['k8s,web', [RULES.tagsSyncTag.id], ['web']],
  ])('warns about %j', (value, rules, tags) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-tags']: value }));
    expect(findings.map((f) => f.rule)).toEqual(rules);
    expect(findings.every((f) => f.severity === 'warning')).toBe(true);
    expect(intent.tags).toEqual(tags);
  });
  it('uses the configured sync tag', () => {
    expect(rulesFor('service-tags', 'k8s,cluster-a', undefined, { syncTag: 'cluster-a' })).toEqual([
      RULES.tagsSyncTag.id,
    ]);
  });
});

describe('service-meta-<KEY>', () => {
  it('accepts valid pairs and passes the value verbatim', () => {
    const { intent, findings } = analyzeService(
      service({ [P + 'service-meta-team']: ' Payments ', [P + 'service-meta-cost_center']: '42' }),
    );
    expect(findings).toEqual([]);
    expect(intent.meta).toEqual({ team: ' Payments ', cost_center: '42' });
  });
  it.each([
    ['service-meta-', 'x', RULES.metaInvalidKey.id],
    ['service-meta-a.b', 'x', RULES.metaInvalidKey.id],
    ['service-meta-a b', 'x', RULES.metaInvalidKey.id],
    [`service-meta-${'k'.repeat(129)}`, 'x', RULES.metaKeyTooLong.id],
    ['service-meta-team', 'v'.repeat(513), RULES.metaValueTooLong.id],
    ['service-meta-consul-version', 'x', RULES.metaReservedKey.id],
    ['service-meta-external-source', 'terraform', RULES.metaOwnershipKey.id],
    ['service-meta-external-k8s-ns', 'other', RULES.metaOwnershipKey.id],
    ['service-meta-external-k8s-cluster-id', 'other', RULES.metaOwnershipKey.id],
    ['service-meta-external-k8s-ref-name', 'pod', RULES.metaOwnershipKey.id],
  ])('rejects %s', (key, value, rule) => {
    const { intent, findings } = analyzeService(service({ [P + key]: value }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[rule, 'error']]);
    expect(findings[0]!.annotation).toBe(P + key);
    expect(intent.meta).toEqual({});
  });
  it('accepts limits exactly', () => {
    expect(rulesFor(`service-meta-${'k'.repeat(128)}`, 'v'.repeat(512))).toEqual([]);
    expect(rulesFor('service-meta-team', '界'.repeat(170) + 'ab')).toEqual([]);
  });
  // Consul agent/structs/structs.go validateMetaPair: strings.HasPrefix(key, "consul-") is
  // case-sensitive, so consul-k8s registers Consul-Team without complaint.
  it.each(['Consul-Team', 'CONSUL-x', 'consul_team', 'consulteam'])(
    'accepts %s: Consul reserves only the lowercase "consul-" prefix (strings.HasPrefix)',
    (metaKey) => {
      const { intent, findings } = analyzeService(service({ [P + 'service-meta-' + metaKey]: 'x' }));
      expect(findings).toEqual([]);
      expect(intent.meta).toEqual({ [metaKey]: 'x' });
    },
  );
  // Consul validateMetaPair: len(value) > metaValueMaxLength, and Go's len counts UTF-8 bytes.
  it('counts the value in UTF-8 bytes as Go len() does: 300 CJK characters are 900 bytes', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-meta-team']: '界'.repeat(300) }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.metaValueTooLong.id, 'error']]);
    expect(findings[0]!.message).toContain('900 bytes');
    expect(intent.meta).toEqual({});
    expect(rulesFor('service-meta-team', '界'.repeat(171))).toEqual([RULES.metaValueTooLong.id]);
  });
  it('warns about keys that collide with port meta', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-meta-port-admin']: '9000' }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.metaPortKey.id, 'warning']]);
    expect(intent.meta).toEqual({ 'port-admin': '9000' });
  });
  const meta = (n: number) =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`${P}service-meta-k${String(i).padStart(2, '0')}`, 'v']),
    );

  it('counts the meta consul-k8s adds towards the 64-pair limit: an error past it', () => {
    // One port: external-source, external-k8s-ns, port-http = 3, so 61 annotations make 64.
    const onePort = { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] };
    expect(analyzeService(service(meta(61), onePort)).findings.filter((f) => f.severity === 'error')).toEqual(
      [],
    );
    const { intent, findings } = analyzeService(service(meta(62), onePort));
    expect(findings.map((f) => [f.rule, f.severity, f.annotation])).toEqual([
      [RULES.metaNoRoom.id, 'warning', `${P}service-meta-k60`],
      [RULES.metaTooMany.id, 'error', `${P}service-meta-k61`],
    ]);
    expect(findings[1]!.message).toContain('65 meta pairs (62 from annotations + 3 the sync adds)');
    expect(Object.keys(intent.meta)).toHaveLength(60);
  });

  it('warns when the keys this registrar adds (cluster id, endpoint keys) leave no room', () => {
    // LoadBalancer, 2 ports: consul-k8s adds 4, this registrar 5 (+ external-k8s-cluster-id).
    expect(analyzeService(service(meta(59))).findings).toEqual([]);
    const lb = analyzeService(service(meta(60)));
    expect(lb.findings.map((f) => [f.rule, f.severity, f.annotation])).toEqual([
      [RULES.metaNoRoom.id, 'warning', `${P}service-meta-k59`],
    ]);
    expect(Object.keys(lb.intent.meta)).toHaveLength(59);
    // ClusterIP instances come from endpoints and also carry 4 endpoint keys: 55 fit.
    const clusterIP = { type: 'ClusterIP' };
    expect(analyzeService(service(meta(55), clusterIP)).findings).toEqual([]);
    const cip = analyzeService(service(meta(56), clusterIP));
    expect(cip.findings.map((f) => f.rule)).toEqual([RULES.metaNoRoom.id]);
    expect(cip.findings[0]!.message).toContain('56 meta pairs + 9 the registrar adds per instance');
    expect(Object.keys(cip.intent.meta)).toHaveLength(55);
  });
});

describe('service-weight', () => {
  it('accepts a weight above 1 on a LoadBalancer', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-weight']: '5' }));
    expect(findings).toEqual([]);
    expect(intent.weight).toBe(5);
  });
  // consul-k8s getServiceWeight: strconv.Atoi(weight), which takes an optional sign and leading
  // zeros (base 10, no underscores); the annotation is skipped when "" (`ok && weightS != ""`).
  it.each([
    ['+5', 5],
    ['05', 5],
    ['0005', 5],
    ['65535', 65535],
  ])('accepts %j as Go strconv.Atoi reads it (%d)', (value, weight) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-weight']: value }));
    expect(findings).toEqual([]);
    expect(intent.weight).toBe(weight);
  });
  it('skips "" as consul-k8s does (Helm renders empty defaults)', () => {
    const { intent, findings } = analyzeService(service({ [P + 'service-weight']: '' }));
    expect(findings).toEqual([]);
    expect(intent.weight).toBeUndefined();
  });
  it.each(['0', '-1', '-05', 'abc', '1.5', ' 5', '1_000', '0x10', '+', '99999999999999999999'])(
    'rejects %j (Go strconv.Atoi fails, or consul-k8s ignores weights below 1)',
    (value) => {
      const { intent, findings } = analyzeService(service({ [P + 'service-weight']: value }));
      expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.weightInvalid.id, 'error']]);
      expect(intent.weight).toBeUndefined();
    },
  );
  // Consul keeps weights within 1..65535 and resets a larger one to 1 without an error.
  it.each(['65536', '100000', '2147483648'])('rejects %j: above 65535, Consul resets it to 1', (value) => {
    const { intent, findings } = analyzeService(service({ [P + 'service-weight']: value }));
    expect(findings.map((f) => f.rule)).toEqual([RULES.weightInvalid.id]);
    expect(findings[0]!.message).toContain('reset to 1');
    expect(intent.weight).toBeUndefined();
  });
  it('warns that 1 has no effect', () => {
    expect(rulesFor('service-weight', '1')).toEqual([RULES.weightNoEffect.id]);
  });
  it.each([
    [{ type: 'ClusterIP' }, undefined],
    [{ type: undefined }, undefined],
    [{ type: 'NodePort' }, undefined],
    [{ type: 'LoadBalancer' }, { syncSettings: { ...settings(), syncLoadBalancerEndpoints: true } }],
  ])('warns that weights are ignored for %j', (spec, options) => {
    expect(rulesFor('service-weight', '3', spec, options)).toEqual([RULES.weightIgnored.id]);
  });
  it('applies weights to external IPs of any type', () => {
    expect(rulesFor('service-weight', '3', { type: 'ClusterIP', externalIPs: ['203.0.113.9'] })).toEqual([]);
  });
});

describe('other keys', () => {
  it.each([
    ['consul.hashicorp.com/servce-name', 'did you mean consul.hashicorp.com/service-name?'],
    [
      'consul.hashicorp.com/service-Name',
      'did you mean consul.hashicorp.com/service-name? (keys are case-sensitive)',
    ],
    [
      'Consul.hashicorp.com/service-sync',
      'did you mean consul.hashicorp.com/service-sync? (keys are case-sensitive)',
    ],
    ['consul.hashicorp.com/service-tag', 'did you mean consul.hashicorp.com/service-tags?'],
    ['consul.hashicorp.com/servce-meta-team', 'did you mean consul.hashicorp.com/service-meta-team?'],
    ['consul.hashicorp.com/service-metadata-team', 'did you mean consul.hashicorp.com/service-meta-team?'],
    ['consul.hashicorp.com/totally-unrelated-thing', 'it has no effect'],
  ])('warns about %s', (key, text) => {
    const { findings } = analyzeService(service({ [key]: 'x' }));
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[RULES.unknownKey.id, 'warning']]);
    expect(findings[0]!.message).toContain(text);
  });
  it.each(['connect-inject', 'connect-service-upstreams', 'transparent-proxy', 'envoy-extra-args'])(
    'says %s is a Pod annotation',
    (key) => {
      expect(rulesFor(key, 'true')).toEqual([RULES.podAnnotation.id]);
    },
  );
  it('accepts the generator keys', () => {
    const keys = ['synced', 'consul-service-name', 'consul-service-tags'];
    expect(analyzeService(service(Object.fromEntries(keys.map((k) => [P + k, 'x'])))).findings).toEqual([]);
  });
  it('ignores other prefixes', () => {
    expect(
      analyzeService(service({ 'example.com/service-port': '0x1', 'hashicorp.com/x': 'y' })).findings,
    ).toEqual([]);
  });
  it.each([8080, true, null, { a: 1 }])('rejects a non-string value %j', (value) => {
    expect(rulesFor('service-port', value)).toEqual([RULES.notString.id]);
  });
});

describe('ExternalName Services', () => {
  const externalName = { type: 'ExternalName', externalName: 'web.service.consul', ports: [] };
  it('warns about every sync annotation, without checking values', () => {
    const { findings } = analyzeService(
      service({ [P + 'service-port']: '0x1F', [P + 'service-tags']: 'a' }, externalName),
    );
    expect(findings.map((f) => [f.rule, f.severity, f.annotation])).toEqual([
      [RULES.externalName.id, 'warning', P + 'service-port'],
      [RULES.externalName.id, 'warning', P + 'service-tags'],
    ]);
  });
  it('warns about service-sync other than false: it asks for a sync that never happens', () => {
    for (const value of ['true', '1', 'yes']) {
      const { findings } = analyzeService(service({ [P + 'service-sync']: value }, externalName));
      expect(findings.map((f) => [f.rule, f.annotation])).toEqual([
        [RULES.externalName.id, P + 'service-sync'],
      ]);
    }
  });
  it("accepts the generator's own annotations", () => {
    const annotations = {
      [P + 'synced']: 'true',
      [P + 'service-sync']: 'false',
      [P + 'consul-service-name']: 'Web_API',
      [P + 'consul-service-tags']: 'a,b',
    };
    expect(analyzeService(service(annotations, externalName)).findings).toEqual([]);
  });
});

function settings(overrides: Partial<SyncSettings> = {}): SyncSettings {
  return {
    defaultSync: true,
    allowNamespaces: ['*'],
    denyNamespaces: ['kube-system', 'kube-public'],
    syncClusterIPServices: true,
    syncLoadBalancerEndpoints: false,
    ...overrides,
  };
}

describe('sync settings (optional)', () => {
  const withSettings = (
    annotations: Record<string, string>,
    overrides: Partial<SyncSettings>,
    namespace = 'apps',
    spec: ServiceLike['spec'] = {},
  ) =>
    analyzeService(service(annotations, spec, namespace), { syncSettings: settings(overrides) }).findings.map(
      (f) => f.rule,
    );

  it('says nothing without settings', () => {
    expect(analyzeService(service({ [P + 'service-sync']: 'true' }, {}, 'kube-system')).findings).toEqual([]);
  });
  it('warns when the namespace is denied, even with service-sync true', () => {
    expect(withSettings({ [P + 'service-sync']: 'true' }, {}, 'kube-system')).toEqual([RULES.notSynced.id]);
  });
  it('warns when the namespace is not in the allow list', () => {
    expect(withSettings({ [P + 'service-name']: 'x' }, { allowNamespaces: ['prod'] })).toEqual([
      RULES.notSynced.id,
    ]);
  });
  it('warns when ClusterIP sync is off', () => {
    expect(
      withSettings({ [P + 'service-sync']: 'true' }, { syncClusterIPServices: false }, 'apps', {
        type: 'ClusterIP',
      }),
    ).toEqual([RULES.notSynced.id]);
  });
  it('warns when default sync is off and the Service has annotations but no service-sync', () => {
    expect(withSettings({ [P + 'service-tags']: 'a' }, { defaultSync: false })).toEqual([RULES.notSynced.id]);
    expect(
      withSettings({ [P + 'service-tags']: 'a', [P + 'service-sync']: 'true' }, { defaultSync: false }),
    ).toEqual([]);
  });
  it('says nothing for a Service that opts out', () => {
    expect(withSettings({ [P + 'service-sync']: 'false' }, {}, 'kube-system')).toEqual([]);
  });
});

describe('findings', () => {
  it('every raised rule is a defined rule with its severity', () => {
    const byId = new Map(ALL_RULES.map((r) => [r.id, r.severity]));
    const { findings } = analyzeService(
      service({
        [P + 'service-sync']: 'yes',
        [P + 'service-name']: ' a_b ',
        [P + 'service-port']: '0x1F90',
        [P + 'service-tags']: 'a,,a',
        [P + 'service-meta-consul-x']: 'v',
        [P + 'service-weight']: '1',
        [P + 'servce-name']: 'x',
      }),
    );
    expect(findings.length).toBeGreaterThan(6);
    for (const f of findings) expect(byId.get(f.rule)).toBe(f.severity);
  });
  it('reports a repeated tag once', () => {
    expect(rulesFor('service-tags', 'a,a,a,b')).toEqual([RULES.tagsDuplicate.id]);
  });
  it('never cuts a character in half when truncating', () => {
    const { findings } = analyzeService(service({ [P + 'service-sync']: '😀'.repeat(100) }));
    expect(findings[0]!.message).toContain(`"${'😀'.repeat(39)}…"`);
    expect(findings[0]!.value).toBe(`${'😀'.repeat(63)}…`);
  });
  it('truncates long values in messages', () => {
    const { findings } = analyzeService(service({ [P + 'service-sync']: 'y'.repeat(500) }));
    expect(findings[0]!.message).toContain(`"${'y'.repeat(39)}…"`);
    expect(findings[0]!.message.length).toBeLessThan(200);
    expect(findings[0]!.value!.length).toBeLessThanOrEqual(64);
  });
});

describe('ratcheting against the previous object (UPDATE)', () => {
  const onePort = { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] };
  const meta = (n: number, value = 'v') =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`${P}service-meta-k${String(i).padStart(2, '0')}`, value]),
    );
  const errorsOf = (now: ServiceLike, previous?: ServiceLike) =>
    analyzeService(now, previous ? { previous } : {})
      .findings.filter((f) => f.severity === 'error')
      .map((f) => [f.rule, f.unchanged ?? false]);

  it('marks an error unchanged when the annotation has the same value as before', () => {
    const old = service({ [P + 'service-sync']: 'yes' });
    expect(errorsOf(service({ [P + 'service-sync']: 'yes', [P + 'service-tags']: 'a' }), old)).toEqual([
      [RULES.syncInvalid.id, true],
    ]);
    expect(errorsOf(service({ [P + 'service-sync']: 'no' }), old)).toEqual([[RULES.syncInvalid.id, false]]);
    expect(errorsOf(service({ [P + 'service-sync']: 'yes' }))).toEqual([[RULES.syncInvalid.id, false]]);
  });

  // Finding 4: 62 user keys + 3 the sync adds = 65 > 64 (Consul metaMaxKeyPairs). Adding a 63rd
  // was "error (unchanged)" because the key the finding named had not changed.
  it('a count already over its limit may not grow: adding a meta key to a Service over 64 pairs is an error', () => {
    const old = service(meta(62), onePort);
    expect(errorsOf(service(meta(63), onePort), old)).toEqual([[RULES.metaTooMany.id, false]]);
    const { findings } = analyzeService(service(meta(63), onePort), { previous: old });
    expect(findings.find((f) => f.rule === RULES.metaTooMany.id)!.message).toContain('(was 65)');
  });

  it('a count over its limit that does not grow is unchanged (other edits stay possible)', () => {
    const old = service(meta(62), onePort);
    expect(errorsOf(service(meta(62, 'changed'), onePort), old)).toEqual([[RULES.metaTooMany.id, true]]);
    // One port more: the sync adds port-grpc, the count grows.
    const twoPorts = { ...onePort, ports: [...onePort.ports, { name: 'grpc', port: 9090 }] };
    expect(errorsOf(service(meta(62), twoPorts), old)).toEqual([[RULES.metaTooMany.id, false]]);
  });

  it('a count that was within the limit before is not ratcheted', () => {
    expect(errorsOf(service(meta(62), onePort), service(meta(61), onePort))).toEqual([
      [RULES.metaTooMany.id, false],
    ]);
  });
});
