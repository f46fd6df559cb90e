import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '@edgefleet/common';
import { findUnstorable, unstorableText } from '@edgefleet/contracts';

/** The JSON body types the API takes (application/merge-patch+json is twin desired state, RFC 7396). */
const JSON_TYPES = ['application/json', 'application/merge-patch+json'];

/**
 * Refuses at the HTTP boundary what Postgres or JSON cannot hold (`findUnstorable`: U+0000,
 * lone surrogates, `1e999`, nesting past 64 levels) with a 400 naming the field, before
 * validation pipes or services see it: such input used to reach Postgres (a 500) or be
 * stored changed (`1e999` as `null`), and a 100,000-deep body overflowed the stack of the
 * recursive validators. Path parameters and the query string get the same text check.
 */
export function refuseUnstorableInput(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  for (const type of JSON_TYPES) {
    if (fastify.hasContentTypeParser(type)) fastify.removeContentTypeParser(type);
    fastify.addContentTypeParser(type, { parseAs: 'string' }, (request, body, done) =>
      parseJson(request, body as string, (error: Error | null, value?: unknown) => {
        if (error) return done(error, undefined);
        const problem = findUnstorable(value, 'body');
        // The status for Fastify, which answers parser errors before Nest's exception filter.
        if (problem) return done(Object.assign(new InvalidInputError(problem), { statusCode: 400 }), undefined);
        done(null, value);
      }),
    );
  }
  fastify.addHook('preValidation', async (request) => {
    const problem = unstorableParams(request);
    if (problem) throw new InvalidInputError(problem);
  });
}

function unstorableParams(request: FastifyRequest): string | undefined {
  for (const [where, values] of [['path', request.params], ['query', request.query]] as const) {
    if (!values || typeof values !== 'object') continue;
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      const texts = Array.isArray(value) ? value : [value];
      for (const text of texts) {
        const problem = typeof text === 'string' ? unstorableText(text) : undefined;
        if (problem) return `${where} parameter ${name}: ${problem}`;
        if (unstorableText(name)) return `${where} parameter name ${unstorableText(name)}`;
      }
    }
  }
  return undefined;
}
