import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Endpoint } from './endpoints';
import { endpoints } from './endpoints';
import { errorBody } from './errors';
import type { Arrival } from './ledger';
import { maskPhone } from './mask';
import type { SandboxState } from './state';

/**
 * The /v1 provider routes and what wraps them, in request order:
 * onRequest   count the attempt, inject latency, 503s and 429s (before anything else)
 * preValidation  require Idempotency-Key
 * (fastify validates the body against the endpoint's zod schema -> 400)
 * handler     replay or reject a reused key, check the contact (-> 422), deliver
 * onSend      record the final status in the ledger and log it without personal data
 * A lost-response fault lets the handler deliver, then drops the connection unanswered
 * (recorded with status 0): the caller cannot tell whether the effect happened.
 */

/** Ledger status of a request whose connection was dropped after it was handled. */
export const DROPPED_RESPONSE_STATUS = 0;

const MAX_KEY_LENGTH = 255;

/** Set on an answer replayed from a key's earlier delivery; the ledger marks such requests `replayed`. */
const REPLAYED_HEADER = 'idempotent-replayed';

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (typeof value !== 'string') return undefined; // absent, or sent twice
  const key = value.trim();
  return key.length > 0 && key.length <= MAX_KEY_LENGTH ? key : undefined;
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?', 1)[0] ?? request.url;
}

function maskedRecipientPhone(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('to' in body)) return undefined;
  return typeof body.to === 'string' ? maskPhone(body.to) : undefined;
}

export const providerRoutes: FastifyPluginAsync<{ state: SandboxState }> = async (app, { state }) => {
  const arrivals = new WeakMap<FastifyRequest, Arrival>();
  const responsesToDrop = new WeakSet<FastifyRequest>();

  function arrivalOf(request: FastifyRequest): Arrival {
    const arrival = arrivals.get(request);
    if (!arrival) throw new Error('request has no arrival record');
    return arrival;
  }

  app.addHook('onRequest', async (request, reply) => {
    const arrival = state.ledger.arrive(idempotencyKeyOf(request), new Date());
    arrivals.set(request, arrival);
    const fault = state.faults.decide(pathOf(request), arrival.attempt, state.random);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    const { failure } = fault;
    if (failure?.status === 429) return reply.code(429).header('retry-after', String(failure.retryAfterSeconds)).send(errorBody('rate_limited', failure.message));
    if (failure) return reply.code(503).send(errorBody('unavailable', failure.message));
    if (fault.dropResponse) responsesToDrop.add(request);
  });

  app.addHook('preValidation', async (request, reply) => {
    if (arrivalOf(request).idempotencyKey === undefined) {
      return reply
        .code(400)
        .send(errorBody('missing_idempotency_key', `Idempotency-Key header is required (1-${MAX_KEY_LENGTH} characters)`));
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const arrival = arrivalOf(request);
    const path = pathOf(request);
    // Only a handled request (delivered or replayed) loses its answer; a 4xx still goes out.
    const drop = responsesToDrop.has(request) && reply.statusCode === 200;
    const replayed = reply.getHeader(REPLAYED_HEADER) === 'true';
    state.ledger.answered(arrival, request.method, path, drop ? DROPPED_RESPONSE_STATUS : reply.statusCode, replayed);
    if (drop) {
      request.log.info({ method: request.method, path, idempotencyKey: arrival.idempotencyKey ?? null }, 'provider request handled; response dropped (injected fault)');
      request.raw.socket?.destroy();
      return payload;
    }
    request.log.info(
      {
        method: request.method,
        path,
        idempotencyKey: arrival.idempotencyKey ?? null,
        status: reply.statusCode,
        to: maskedRecipientPhone(request.body),
      },
      'provider request',
    );
    return payload;
  });

  function deliver(endpoint: Endpoint) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const { idempotencyKey, at } = arrivalOf(request);
      if (idempotencyKey === undefined) throw new Error('preValidation lets no request without a key through');

      const previous = state.ledger.delivery(idempotencyKey);
      if (previous) {
        if (previous.path !== endpoint.path || !isDeepStrictEqual(previous.body, request.body)) {
          return reply
            .code(409)
            .send(errorBody('idempotency_conflict', 'Idempotency-Key was already used with a different request'));
        }
        return reply.code(previous.response.status).header(REPLAYED_HEADER, 'true').send(previous.response.body);
      }

      const problem = endpoint.check?.(request.body, state.contacts);
      if (problem) return reply.code(422).send(errorBody(problem.code, problem.message));

      // No await between the lookup above and this write: concurrent retries of one key
      // cannot both deliver.
      const response = { status: 200, body: endpoint.accept(state.ids, at) };
      state.ledger.deliver({
        id: state.ids.next('delivery', at),
        method: request.method,
        path: endpoint.path,
        idempotencyKey,
        body: request.body,
        receivedAt: at.toISOString(),
        response,
      });
      return reply.code(response.status).send(response.body);
    };
  }

  for (const endpoint of endpoints) {
    app.post(endpoint.path, { schema: { body: endpoint.body } }, deliver(endpoint));
  }
};
