import type { Payload } from '@temporalio/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConfigError } from '../../config';
import type { ApiContext } from '../context';
import { ApiError, errorResponses } from '../errors';

/**
 * Temporal's remote codec protocol (spec section 10), for the Temporal CLI
 * (`--codec-endpoint http://host:3000/codec --codec-auth "Bearer <token>"`) and the web UI:
 * `POST /codec/decode` and `/codec/encode` take and return `{"payloads": [...]}` in the
 * proto3 JSON form of a Payload (metadata values and data base64). The `X-Namespace`
 * header is accepted and not needed: one key set serves every namespace of this deployment.
 *
 * Authenticated like every operator route (bearer token), role `collector` or above (the
 * role table in ../route-roles.ts; a viewer gets 403 `forbidden`); CORS for CODEC_CORS_ORIGINS is
 * set up in app.ts, before authentication, so a browser's preflight gets its answer.
 * With CODEC_ALLOW_UNAUTHENTICATED=true (npm start only) the route is open, because the
 * dev server's web UI cannot send a bearer token.
 */

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const JsonPayload = z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() });
// proto3 JSON omits an empty repeated field: the CLI sends `{}` for a query without arguments.
const CodecBody = z.object({ payloads: z.array(JsonPayload).max(10_000).default([]) }).meta({ description: 'Payloads in proto3 JSON (base64 metadata values and data)' });
type JsonPayload = z.infer<typeof JsonPayload>;

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export const codecRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const codecs = ctx.payloadCodecs ?? [];
  const access = ctx.env.CODEC_ALLOW_UNAUTHENTICATED ? ('public' as const) : ('operator' as const);
  if (ctx.env.CODEC_ALLOW_UNAUTHENTICATED) {
    if (!LOOPBACK.has(ctx.env.HOST)) {
      throw new ConfigError(`invalid configuration: CODEC_ALLOW_UNAUTHENTICATED=true needs HOST on loopback (127.0.0.1), not ${ctx.env.HOST}`);
    }
    ctx.logger.warn('!!! CODEC_ALLOW_UNAUTHENTICATED=true: /codec decrypts payloads for anyone who reaches this port. Development machines only. !!!');
  }

  const run = async (payloads: JsonPayload[], direction: 'encode' | 'decode'): Promise<{ payloads: JsonPayload[] }> => {
    let current = payloads.map(fromJson);
    try {
      // Encoding applies the codecs in order, decoding in reverse (as the SDK does).
      if (direction === 'encode') for (const codec of codecs) current = await codec.encode(current);
      else for (const codec of [...codecs].reverse()) current = await codec.decode(current);
    } catch (error) {
      throw new ApiError('invalid_request', `cannot ${direction} payloads: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { payloads: current.map(toJson) };
  };

  for (const direction of ['decode', 'encode'] as const) {
    app.post(
      `/codec/${direction}`,
      {
        config: { access },
        schema: {
          tags: ['codec'],
          summary: direction === 'decode' ? 'Decrypt payloads (Temporal remote codec)' : 'Encrypt payloads (Temporal remote codec)',
          headers: z.object({ 'x-namespace': z.string().optional() }).loose(),
          body: CodecBody,
          response: { 200: CodecBody, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => run(request.body.payloads, direction),
    );
  }
};
