/** Kubernetes memory quantities (`256Mi`, `1Gi`, `500M`, bytes) in MiB. */
const UNITS: Record<string, number> = {
  '': 1 / 2 ** 20,
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  k: 1e3 / 2 ** 20,
  M: 1e6 / 2 ** 20,
  G: 1e9 / 2 ** 20,
};

export function quantityMiB(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: "${quantity}"`);
  return Number(match[1]) * (UNITS[match[2] ?? ''] as number);
}
