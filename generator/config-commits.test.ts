/** The commit and report flags of `generate`: template, sign-off, signing key, --output, --metrics-file. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createGenerateCommand } from './command';
import { parseGenerateConfig, type GenerateFlags } from './config';
import { gitEnvironment } from './git/process';
import { tempDir } from '../test/support/generator/git-fixture';

async function flags(args: string[]): Promise<GenerateFlags> {
  let captured: GenerateFlags | undefined;
  await createGenerateCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .action((parsed: GenerateFlags) => {
      captured = parsed;
    })
    .parseAsync(args, { from: 'user' });
  return captured!;
}

const base = ['--once', '--repo', 'out/repo', '--path', 'services'];
const parse = async (...extra: string[]) => parseGenerateConfig(await flags([...base, ...extra]), {});
const problem = async (...extra: string[]): Promise<string> => {
  try {
    await parse(...extra);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the flags to be refused');
};

let root: { dir: string; cleanup(): void };
beforeAll(() => {
  root = tempDir();
});
afterAll(() => root.cleanup());

describe('commit and report flags', () => {
  it('are in --help, with the placeholders', () => {
    const help = createGenerateCommand().helpInformation().replace(/\s+/g, ' ');
    for (const flag of [
      '--commit-message-template',
      '--signoff',
      '--signing-key',
      '--output',
      '--metrics-file',
    ])
      expect(help).toContain(flag);
    expect(help).toContain('{{ .Name }} placeholders: .Title .Body .Summary .Added');
  });

  it("default to today's message, no sign-off, no key, text output, no metrics file", async () => {
    const config = await parse();
    expect(config.commit).toEqual({
      template: [{ placeholder: 'Title' }, '\n\n', { placeholder: 'Body' }],
      signoff: false,
    });
    expect(config.signingKey).toBeUndefined();
    expect(config.output).toBe('text');
    expect(config.metricsFile).toBeUndefined();
  });

  it('refuses an unknown placeholder, naming the flag and the placeholder', async () => {
    expect(await problem('--commit-message-template', 'sync {{ .Servces }}')).toMatch(
      /^--commit-message-template: unknown placeholder "\{\{ \.Servces \}\}"/,
    );
  });

  it('refuses --signoff with an identity that cannot be a trailer', async () => {
    expect(await problem('--signoff', '--author-name', 'Bot <x>')).toMatch(
      /^--signoff: --author-name and --author-email must be/,
    );
  });

  it('reads --signing-key as an SSH key file or an OpenPGP key id, and refuses anything else', async () => {
    const sshKey = path.join(root.dir, 'id_ed25519');
    writeFileSync(sshKey, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
    expect((await parse('--signing-key', sshKey)).signingKey).toEqual({ format: 'ssh', keyFile: sshKey });
    const publicKey = path.join(root.dir, 'id_ed25519.pub');
    writeFileSync(publicKey, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA bot\n');
    expect((await parse('--signing-key', publicKey)).signingKey).toEqual({
      format: 'ssh',
      keyFile: publicKey,
    });
    expect((await parse('--signing-key', '0xDEADBEEF12345678')).signingKey).toEqual({
      format: 'openpgp',
      keyId: '0xDEADBEEF12345678',
    });
    const pgp = path.join(root.dir, 'key.asc');
    writeFileSync(pgp, '-----BEGIN PGP PRIVATE KEY BLOCK-----\n');
    expect(await problem('--signing-key', pgp)).toMatch(
      /^--signing-key: ".*key\.asc" is an OpenPGP key file/,
    );
    const other = path.join(root.dir, 'notes.txt');
    writeFileSync(other, 'hello');
    expect(await problem('--signing-key', other)).toMatch(/is not an SSH key/);
    expect(await problem('--signing-key', '/missing/key')).toMatch(
      /^--signing-key: "\/missing\/key" is neither a readable SSH key file \(ENOENT\) nor an OpenPGP key id/,
    );
  });

  it('passes the signing key to git through its environment, after the variables already there', () => {
    const env = gitEnvironment(
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.x', GIT_CONFIG_VALUE_0: 'y' },
      { token: 't' },
      { format: 'ssh', keyFile: '/keys/signing' },
    );
    expect(env).toMatchObject({
      GIT_CONFIG_COUNT: '4',
      GIT_CONFIG_KEY_0: 'core.x',
      GIT_CONFIG_KEY_1: 'http.extraHeader',
      GIT_CONFIG_KEY_2: 'gpg.format',
      GIT_CONFIG_VALUE_2: 'ssh',
      GIT_CONFIG_KEY_3: 'user.signingkey',
      GIT_CONFIG_VALUE_3: '/keys/signing',
    });
    expect(gitEnvironment({}, {}, { format: 'openpgp', keyId: 'ABCDEF12' })).toMatchObject({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_VALUE_0: 'openpgp',
      GIT_CONFIG_VALUE_1: 'ABCDEF12',
    });
  });

  it('allows --output json only with --dry-run', async () => {
    expect(await problem('--output', 'json')).toBe('--output json: only with --dry-run');
    const dry = parseGenerateConfig(
      await flags(['--dry-run', '--repo', 'r', '--path', 'p', '--output', 'json']),
      {},
    );
    expect(dry.output).toBe('json');
    await expect(flags([...base, '--output', 'yaml'])).rejects.toThrow(/Allowed choices are text, json/);
  });

  it('checks --metrics-file at startup: --once, *.prom, an existing directory', async () => {
    const file = path.join(root.dir, 'generator.prom');
    expect((await parse('--metrics-file', file)).metricsFile).toBe(file);
    expect(await problem('--metrics-file', path.join(root.dir, 'generator.txt'))).toMatch(
      /must end in \.prom \(node-exporter's textfile collector reads only \*\.prom\)/,
    );
    expect(await problem('--metrics-file', '/missing-dir/x.prom')).toBe(
      '--metrics-file: the directory "/missing-dir" does not exist',
    );
    const watch = await flags(['--watch', '--repo', 'r', '--path', 'p', '--metrics-file', file]);
    expect(() => parseGenerateConfig(watch, {})).toThrow('--metrics-file: only with --once');
  });
});
