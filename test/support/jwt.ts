/** Signed JWTs for auth-method tests: an ES256 key pair and compact tokens signed with it. */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface JwtSigner {
  /** PEM (SPKI) of the public key, as Consul's JWT auth method takes it (`JWTValidationPubKeys`). */
  publicKeyPem: string;
  /** A compact JWS over these claims. */
  sign(claims: Record<string, unknown>): string;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function createJwtSigner(): JwtSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (claims) => signJwt(privateKey, claims),
  };
}

function signJwt(key: KeyObject, claims: Record<string, unknown>): string {
  const signed = `${base64url({ alg: 'ES256', typ: 'JWT' })}.${base64url(claims)}`;
  const signature = sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}
