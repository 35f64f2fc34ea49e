import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ERROR_BODY_LIMIT, ResponseBodySink, SequentialRequestBody } from './bodies';

describe('SequentialRequestBody', () => {
  it('writes each body into the same memory, as UTF-8 JSON', () => {
    const body = new SequentialRequestBody();
    const first = body.encode([{ Verb: 'set', Name: 'wëb' }]);
    expect(JSON.parse(first.toString('utf8'))).toEqual([{ Verb: 'set', Name: 'wëb' }]);
    const firstMemory = first.buffer;
    const second = body.encode({ short: true });
    expect(second.toString('utf8')).toBe('{"short":true}');
    expect(second.buffer).toBe(firstMemory);
  });

  it('grows for a body larger than any before and keeps it whole', () => {
    const body = new SequentialRequestBody();
    body.encode([]);
    const large = 'x'.repeat(200_000);
    const encoded = body.encode({ large });
    expect(encoded.length).toBe(Buffer.byteLength(JSON.stringify({ large })));
    expect((JSON.parse(encoded.toString('utf8')) as { large: string }).large).toBe(large);
  });
});

describe('ResponseBodySink', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size') ?? 10);
      res.statusCode = req.url?.startsWith('/fail') ? 409 : 200;
      res.end('e'.repeat(size));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Pipes an answer into a sink, as the Consul client does, and returns the response after it ended. */
  function answer(
    path: string,
    onChunk: (chunk: Buffer) => void = () => undefined,
  ): Promise<{ response: http.IncomingMessage & { body?: unknown }; sink: ResponseBodySink }> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path }, (response: http.IncomingMessage & { body?: unknown }) => {
          const sink = new ResponseBodySink(onChunk);
          response.pipe(sink);
          response.on('end', () => resolve({ response, sink }));
        })
        .on('error', reject);
    });
  }

  it('hands a success body over as it arrives and keeps none of it', async () => {
    let received = 0;
    const { response, sink } = await answer('/ok?size=100000', (chunk) => (received += chunk.length));
    expect(response.statusCode).toBe(200);
    expect(received).toBe(100_000);
    expect(response.body).toBeUndefined();
    expect(sink.failure).toBeUndefined();
  });

  it("keeps the consumer's exception and still drains the answer", async () => {
    let calls = 0;
    const { response, sink } = await answer('/ok?size=300000', () => {
      calls++;
      throw new Error('malformed');
    });
    expect(response.complete).toBe(true);
    expect(calls).toBe(1);
    expect(sink.failure).toEqual(new Error('malformed'));
  });

  it('keeps an error body as the response body', async () => {
    const { response } = await answer('/fail?size=12', () => {
      throw new Error('an error body is not consumed');
    });
    expect(response.statusCode).toBe(409);
    expect(Buffer.isBuffer(response.body)).toBe(true);
    expect((response.body as Buffer).toString('utf8')).toBe('e'.repeat(12));
  });

  it('keeps at most ERROR_BODY_LIMIT bytes of an error body', async () => {
    const { response } = await answer(`/fail?size=${ERROR_BODY_LIMIT + 100_000}`);
    expect((response.body as Buffer).length).toBe(ERROR_BODY_LIMIT);
  });
});
