/**
 * The `service-weight` check: the weight consul-k8s reads (Go Atoi), the range Consul keeps, and
 * whether the Service's instances use a weight at all. Pure.
 */
import { SERVICE_WEIGHT } from './keys';
import { goAtoi } from '../go/strconv';
import { RULES } from './rules';
import { serviceType, weightApplies } from './sync-settings';
import { showValue, type Findings } from './findings';
import type { AnalyzeOptions, ServiceLike } from './types';

/** Consul keeps service weights within 1..65535 and resets others to 1. */
export const MAX_WEIGHT = 65535;

export function checkWeight(
  value: string,
  service: ServiceLike,
  options: AnalyzeOptions,
  out: Findings,
): number | undefined {
  // consul-k8s reads the weight with Go strconv.Atoi ("+5" and "05" are 5) and skips "".
  if (value === '') return undefined;
  const weight = goAtoi(value);
  if (weight === undefined || weight < 1) {
    out.add(
      RULES.weightInvalid,
      SERVICE_WEIGHT,
      `${showValue(value)} is not a whole number from 1 to ${MAX_WEIGHT}; consul-k8s ignores it`,
      value,
    );
    return undefined;
  }
  if (weight > MAX_WEIGHT) {
    out.add(
      RULES.weightInvalid,
      SERVICE_WEIGHT,
      `${weight} is above ${MAX_WEIGHT}, the largest weight Consul keeps; it would be reset to 1`,
      value,
    );
    return undefined;
  }
  if (weight === 1) {
    out.add(
      RULES.weightNoEffect,
      SERVICE_WEIGHT,
      '1 is the default weight; the annotation has no effect',
      value,
    );
  }
  const syncLoadBalancerEndpoints = options.syncSettings?.syncLoadBalancerEndpoints ?? false;
  if (!weightApplies(service, { syncLoadBalancerEndpoints })) {
    const what =
      serviceType(service) === 'LoadBalancer'
        ? 'LoadBalancer Services synced by endpoints'
        : `${serviceType(service)} Services`;
    out.add(
      RULES.weightIgnored,
      SERVICE_WEIGHT,
      `ignored for ${what}; weights apply to external-IP and LoadBalancer ingress instances`,
      value,
    );
  }
  return weight;
}
