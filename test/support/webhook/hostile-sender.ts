/**
 * A separate process that floods a webhook with hostile ~3.9 MiB reviews (both shapes of
 * `hostileReview`): `node hostile-sender.js
 * PORT CA_FILE CONCURRENCY ROUNDS`. Prints one JSON line with the status codes it got, so the
 * test's own event loop is free to time the small reviews it sends meanwhile.
 */
import fs from 'node:fs';
import { request } from './client';
import { hostileReview } from './reviews';

async function main(): Promise<void> {
  const [port, caFile, concurrency, rounds] = process.argv.slice(2);
  const ca = fs.readFileSync(caFile!, 'utf8');
  const statuses: Record<string, number> = {};
  // Half the senders hide the pile where the review never reads, half where it reads.
  const bodies = [hostileReview('hostile'), hostileReview('hostile', undefined, 'ports')];
  await Promise.all(
    Array.from({ length: Number(concurrency) }, async (_, sender) => {
      const body = bodies[sender % 2]!;
      for (let round = 0; round < Number(rounds); round++) {
        try {
          const reply = await request({ port: Number(port), ca, body, timeoutMs: 120_000 });
          statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
        } catch (err) {
          const key = (err as Error).message;
          statuses[key] = (statuses[key] ?? 0) + 1;
        }
      }
    }),
  );
  process.stdout.write(`${JSON.stringify(statuses)}\n`);
}

void main();
