import { createWebhookCommand } from './command';
import { parseWebhookConfig, WebhookConfigError } from './config';

function optionsOf(args: string[]): Record<string, unknown> {
  const command = createWebhookCommand().action(() => undefined);
  command.parse(['--tls-cert-file', 'c.pem', '--tls-private-key-file', 'k.pem', ...args], { from: 'user' });
  return command.opts();
}

test('maps the flags to the config, sync settings only with --warn-unsynced', () => {
  expect(parseWebhookConfig(optionsOf([]))).toEqual({
    port: 8443,
    tlsCertFile: 'c.pem',
    tlsPrivateKeyFile: 'k.pem',
    mode: 'enforce',
    shutdownDelayMs: 5000,
    tlsReloadIntervalMs: 10_000,
    logLevel: 'info',
    consulK8sTag: 'k8s',
  });
  const warn = parseWebhookConfig(optionsOf(['--warn-unsynced', '--deny-k8s-namespace', 'x']));
  expect(warn.syncSettings?.denyNamespaces).toEqual(['x']);
});

test('a bad value is a WebhookConfigError naming the flag', () => {
  const call = () => parseWebhookConfig({ ...optionsOf([]), tlsReloadInterval: 0, mode: 'loud' });
  expect(call).toThrow(WebhookConfigError);
  expect(call).toThrow(/--mode: expected one of enforce, warn; --tls-reload-interval: must be longer than 0/);
});
