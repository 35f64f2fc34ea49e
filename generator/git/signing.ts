/**
 * Commit signing: the `--signing-key` shapes and the git settings each one stands for. The
 * settings reach git through its environment (`GIT_CONFIG_COUNT`, see process.ts), never a config
 * file. Pure.
 */

/**
 * `--signing-key`: an SSH private key file (git's `gpg.format=ssh`) or an OpenPGP key id from the
 * keyring (`GNUPGHOME`).
 */
export type SigningKey = { format: 'ssh'; keyFile: string } | { format: 'openpgp'; keyId: string };

/** Git's signing settings for a key: `gpg.format` and `user.signingkey`. */
export function signingConfig(key: SigningKey): [string, string][] {
  return key.format === 'ssh'
    ? [
        ['gpg.format', 'ssh'],
        ['user.signingkey', key.keyFile],
      ]
    : [
        ['gpg.format', 'openpgp'],
        ['user.signingkey', key.keyId],
      ];
}
