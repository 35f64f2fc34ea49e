import http from 'node:http';
import express from 'express';
import { boundPort, closeServer } from '../core/runtime';
import { expressServerClasses } from './express-classes';

describe('expressServerClasses', () => {
  const app = express();
  const original = {
    request: Object.getPrototypeOf(app.request) as object,
    response: Object.getPrototypeOf(app.response) as object,
  };
  const server = http.createServer({ ...expressServerClasses(app) }, app);
  app.get('/probe', (req, res) => {
    res.json({
      query: req.query,
      path: req.path,
      appSet: req.app === app && res.app === app,
      prototypeKept:
        Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response,
      expressRequest: Object.getPrototypeOf(app.request) === original.request,
      expressResponse: Object.getPrototypeOf(app.response) === original.response,
      isIncomingMessage: req instanceof http.IncomingMessage && res instanceof http.ServerResponse,
    });
  });

  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  afterAll(() => closeServer(server));

  test('requests are created with the app prototypes, and express behaves as usual', async () => {
    const res = await fetch(`http://127.0.0.1:${boundPort(server)}/probe?a=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      query: { a: '1' },
      path: '/probe',
      appSet: true,
      prototypeKept: true,
      expressRequest: true,
      expressResponse: true,
      isIncomingMessage: true,
    });
  });
});
