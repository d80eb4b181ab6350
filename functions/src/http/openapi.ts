import { OpenApiGeneratorV3, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_KINDS } from '../core/errors';
import type { Operation } from '../core/operation';
import { healthReportSchema } from '../domain/health/health.service';

const fieldIssueSchema = z
  .object({
    field: z.string().meta({ example: 'preferences.emailFrequency' }),
    message: z.string().meta({ example: 'Invalid option' }),
  })
  .meta({ id: 'FieldIssue' });

const errorBodySchema = z
  .object({
    error: z.string().meta({ example: 'Invalid request data' }),
    code: z.enum(Object.keys(ERROR_KINDS) as [string, ...string[]]),
    message: z.string().meta({ example: 'preferences.emailFrequency: Invalid option' }),
    details: z
      .union([z.array(fieldIssueSchema), z.record(z.string(), z.unknown())])
      .optional()
      .meta({
        description:
          'The fields at fault (400, 409, 413, 422), or facts about the refusal (e.g. FCM error codes)',
      }),
    requestId: z.string(),
  })
  .meta({ id: 'Error' });

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: errorBodySchema } } };
}

/** `/users/:userId/preferences` → `/api/users/{userId}/preferences` and its parameter names. */
function toOpenApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: `/api${converted}`, params };
}

/**
 * The OpenAPI 3 document, derived from the same operation declarations (and zod schemas) that
 * validate requests: path parameters, then query (GET/DELETE) or JSON body (POST/PUT/PATCH).
 */
export function buildOpenApiDocument(operations: readonly Operation[]): unknown {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'Firebase ID token',
  });

  registry.registerPath({
    method: 'get',
    path: '/api/health',
    operationId: 'health',
    summary: 'Service health with a Firestore round-trip check',
    tags: ['ops'],
    responses: {
      200: {
        description: 'Healthy or degraded',
        content: { 'application/json': { schema: healthReportSchema } },
      },
      503: {
        description: 'Unhealthy',
        content: { 'application/json': { schema: healthReportSchema } },
      },
    },
  });

  for (const op of operations) {
    const { path, params } = toOpenApiPath(op.http.path);
    const shape = op.input.shape as Record<string, z.ZodType>;
    const pathShape: Record<string, z.ZodType> = {};
    const restShape: Record<string, z.ZodType> = {};
    const filled = new Set(op.callerDefaults ?? []);
    for (const [key, schema] of Object.entries(shape)) {
      if (params.includes(key)) pathShape[key] = schema;
      // The server fills these in with the caller's uid when they are left out.
      else restShape[key] = filled.has(key) ? schema.optional() : schema;
    }
    const inBody =
      op.http.method === 'post' || op.http.method === 'put' || op.http.method === 'patch';
    const hasRest = Object.keys(restShape).length > 0;
    const responses: Record<number, unknown> = {
      [op.http.successStatus ?? 200]: {
        description: 'Success',
        ...(op.httpHeaders !== undefined
          ? {
              headers: Object.fromEntries(
                Object.entries(op.httpHeaders).map(([name, h]) => [
                  name,
                  { description: h.description, schema: { type: 'string' } },
                ]),
              ),
            }
          : {}),
        content: { 'application/json': { schema: op.output } },
      },
      400: errorResponse('Invalid request data (the field is named in `message` and `details`)'),
      404: errorResponse('A named resource does not exist'),
      413: errorResponse('The request body (or a field with a size limit) is too large'),
      429: errorResponse('Rate limit exceeded; see `Retry-After`'),
      500: errorResponse('Internal server error'),
    };
    if (op.http.method !== 'get') {
      responses[409] = errorResponse('Conflicts with the current state (already exists, in use)');
      responses[422] = errorResponse(
        'Well-formed but not applicable (e.g. a user who is not a member)',
      );
    }
    if (op.access !== 'public') {
      responses[401] = errorResponse('Missing, invalid or revoked ID token');
      responses[403] = errorResponse('Not allowed for this caller');
    }
    registry.registerPath({
      method: op.http.method,
      path,
      operationId: op.name,
      summary: op.summary,
      ...(op.description !== undefined ? { description: op.description } : {}),
      tags: op.http.tags ?? [],
      security: op.access === 'public' ? [] : [{ [bearer.name]: [] }],
      request: {
        ...(params.length > 0 ? { params: z.object(pathShape) } : {}),
        ...(hasRest && !inBody ? { query: z.object(restShape) } : {}),
        ...(hasRest && inBody
          ? {
              body: {
                required: true,
                content: { 'application/json': { schema: z.strictObject(restShape) } },
              },
            }
          : {}),
      },
      responses: responses as never,
    });
  }

  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'TaskFlow Functions API',
      version: '1',
      description:
        'REST surface of TaskFlow Functions. Every operation is also a callable function of the same name.',
    },
    servers: [{ url: '/' }],
  });
}
