/**
 * Request/response classes for `http(s).createServer` whose prototypes are the express app's own.
 * Express 5 calls `Object.setPrototypeOf(req, app.request)` on every request; changing an object's
 * prototype sends it (and the Node internals that touch it) to V8's slow paths, which costs more
 * than everything else express does. When the objects are created with that prototype already,
 * the call is a no-op. Express's behaviour is unchanged: same prototypes, same routing.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';

interface ServerClasses {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
}

/** Makes `app.request`/`app.response` the prototypes of new classes, and returns the classes. */
export function expressServerClasses(app: Express): ServerClasses {
  class AppRequest extends IncomingMessage {}
  class AppResponse extends ServerResponse {}
  adopt(AppRequest.prototype, app.request, app);
  adopt(AppResponse.prototype, app.response, app);
  app.request = AppRequest.prototype as unknown as Express['request'];
  app.response = AppResponse.prototype as unknown as Express['response'];
  return { IncomingMessage: AppRequest, ServerResponse: AppResponse as typeof ServerResponse };
}

/** Gives `target` the same prototype and own properties (`app`) as express's per-app prototype. */
function adopt(target: object, appPrototype: object, app: Express): void {
  Object.setPrototypeOf(target, Object.getPrototypeOf(appPrototype) as object);
  for (const key of Reflect.ownKeys(appPrototype)) {
    Object.defineProperty(target, key, Object.getOwnPropertyDescriptor(appPrototype, key)!);
  }
  if (!Object.prototype.hasOwnProperty.call(target, 'app')) {
    Object.defineProperty(target, 'app', {
      value: app,
      configurable: true,
      enumerable: true,
      writable: true,
    });
  }
}
