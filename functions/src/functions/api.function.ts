import type { Express } from 'express';
import { onRequest } from 'firebase-functions/https';
import { NOTIFY_SECRETS } from '../config/params';
import { API_OPTIONS } from '../config/runtime-options';

let app: Promise<Express> | undefined;

/** `api`: the REST surface (Express). Built on the first request of an instance. */
export const api = onRequest(
  { ...API_OPTIONS, invoker: 'public', secrets: NOTIFY_SECRETS },
  async (req, res) => {
    app ??= Promise.all([
      import('../http/app'),
      import('../composition-root'),
      import('../operations/registry'),
    ]).then(([{ createApp }, { getRuntime }, { operations }]) =>
      createApp(getRuntime(), operations),
    );
    (await app)(req, res);
  },
);
