/**
 * `npm run bench [-- component…]`: runs each component's benchmark (each with its own baseline
 * in the same run) and prints the results. Components: analyzer, webhook, webhook-hostile, registrar, generator,
 * generator-kustomize.
 */
import { benchAnalyzer } from './analyzer';
import { benchWebhook, benchWebhookHostile } from './webhook';
import { benchRegistrar } from './registrar';
import { benchGenerator, benchGeneratorKustomize } from './generator';

const benches: Record<string, () => Promise<void>> = {
  analyzer: benchAnalyzer,
  webhook: benchWebhook,
  'webhook-hostile': benchWebhookHostile,
  registrar: benchRegistrar,
  generator: benchGenerator,
  'generator-kustomize': benchGeneratorKustomize,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in benches));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
    console.log(`\n=== ${name} ===`);
    await benches[name]!();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
