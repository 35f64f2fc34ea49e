import net from 'node:net';
import { createLogger } from './logger';
import { boundPort } from './health';
import { Component } from './component';

const logger = createLogger({ level: 'silent' });

async function get(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.arrayBuffer();
  return response.status;
}

test('without leader election the replica leads, and readiness is the program check', async () => {
  let ready = false;
  const component = new Component({ name: 'test', logger, http: { port: 0 } });
  component.addReadinessCheck('work', () => ready);
  const server = await component.serve();
  const port = boundPort(server!);
  expect(component.isLeader()).toBe(true);
  expect(await get(port, '/readyz')).toBe(503);
  ready = true;
  expect(await get(port, '/readyz')).toBe(200);
  expect(await get(port, '/metrics')).toBe(200);

  const order: string[] = [];
  await component.stop(async () => {
    order.push(component.health.isShuttingDown ? 'work stopped after turning unready' : 'work first');
  });
  expect(order).toEqual(['work stopped after turning unready']);
  expect(server!.listening).toBe(false);
});

test('a port in use fails the start, or with `continue` runs without the endpoints', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, resolve));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    await expect(new Component({ name: 'test', logger, http: { port } }).serve()).rejects.toThrow(
      /EADDRINUSE/,
    );
    const tolerant = new Component({ name: 'test', logger, http: { port, whenPortInUse: 'continue' } });
    await expect(tolerant.serve()).resolves.toBeUndefined();
    await tolerant.stop();
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

test('no http options: no server', async () => {
  const component = new Component({ name: 'test', logger });
  await expect(component.serve()).resolves.toBeUndefined();
  await component.stop();
});
