import express from 'express';
import type { Operation } from '../core/operation';

/** `GET /openapi.json`: built on first request (the generator is not loaded at cold start). */
export function openApiRouter(operations: readonly Operation[]): express.Router {
  const router = express.Router();
  let document: unknown;
  router.get('/openapi.json', (_req, res, next) => {
    import('./openapi')
      .then(({ buildOpenApiDocument }) => {
        document ??= buildOpenApiDocument(operations);
        res.json(document);
      })
      .catch(next);
  });
  return router;
}
