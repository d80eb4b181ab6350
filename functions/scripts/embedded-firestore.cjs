#!/usr/bin/env node
// The embedded Firestore-protocol server (@firestore-emulator/server) used where the official
// emulator cannot run (no Java 21). It speaks gRPC on `port` (bound to loopback only) and, on
// `controlPort`, answers the official emulator's REST call that clears a project's documents:
//   DELETE /emulator/v1/projects/{projectId}/databases/{databaseId}/documents
// so tests and scripts clear data the same way against either emulator. A GET of the same path
// answers every document of the project as JSON (this server has no ListCollectionIds), for tests
// that compare a whole project before and after a request.
'use strict';
const http = require('node:http');
const path = require('node:path');
const { FirestoreServer } = require('@firestore-emulator/server');
// The server's own copy of grpc-js (it pins a version): credentials must come from the same copy.
const grpc = require(
  require.resolve('@grpc/grpc-js', {
    paths: [path.dirname(require.resolve('@firestore-emulator/server'))],
  }),
);

const CLEAR = /^\/emulator\/v1\/projects\/([^/]+)\/databases\/([^/]+)\/documents\/?$/;

/**
 * Every existing document under `parent` (a database or document), by path: the server keeps an
 * empty placeholder for every document ever read, which is not data.
 */
function existingDocuments(parent, out = {}) {
  for (const collection of Object.values(parent.collections)) {
    for (const document of Object.values(collection.documents)) {
      if (document.metadata.hasExist) out[document.getPath()] = document.toJSON().fields;
      existingDocuments(document, out);
    }
  }
  return out;
}

/**
 * Starts the server. Resolves to { host, controlUrl, stop() }.
 * @param {{ port: number, controlPort: number, host?: string }} options
 */
async function startEmbeddedFirestore({ port, controlPort, host = '127.0.0.1' }) {
  const firestore = new FirestoreServer();
  // FirestoreServer#start binds 0.0.0.0; bind its gRPC server to loopback ourselves instead.
  await new Promise((resolve, reject) => {
    firestore.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(undefined),
    );
  });
  const control = http.createServer((req, res) => {
    const match = CLEAR.exec(req.url ?? '');
    if (req.method === 'DELETE' && match) {
      // FirestoreState keeps one (frozen) entry per project id; dropping it clears its databases.
      const projectId = decodeURIComponent(match[1]);
      const { state } = firestore;
      state.projects = Object.fromEntries(
        Object.entries(state.projects).filter(([name]) => name !== projectId),
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (req.method === 'GET' && match) {
      const project = firestore.state.projects[decodeURIComponent(match[1])];
      const database = project?.databases[decodeURIComponent(match[2])];
      const body = JSON.stringify(database === undefined ? {} : existingDocuments(database));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    if (req.method === 'GET' && (req.url === '/' || req.url === '/healthz')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Ok');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve, reject) => {
    control.once('error', reject);
    control.listen(controlPort, host, () => resolve(undefined));
  });
  return {
    host: `${host}:${port}`,
    controlUrl: `http://${host}:${controlPort}`,
    stop: () =>
      new Promise((resolve) => {
        firestore.stop();
        control.close(() => resolve(undefined));
      }),
  };
}

module.exports = { startEmbeddedFirestore };

if (require.main === module) {
  const port = Number(process.env.FIRESTORE_PORT ?? 8080);
  const controlPort = Number(process.env.FIRESTORE_CONTROL_PORT ?? port + 1);
  startEmbeddedFirestore({ port, controlPort }).then(
    (s) => {
      process.stdout.write(`embedded Firestore listening on ${s.host} (control ${s.controlUrl})\n`);
      const stop = () => s.stop().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err) => {
      process.stderr.write(`embedded Firestore failed to start: ${err.message}\n`);
      process.exit(1);
    },
  );
}
