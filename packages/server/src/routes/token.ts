import { OAuthError, SCOPES, type TokenRequestInput } from '@stella-orch/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authority } from '../authority/authority.js';
import type { OrchestratorMetrics } from '../metrics/orchestrator-metrics.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';
const MAX_FORM_BYTES = 16_384;

/** The body of a token request as parsed here: the form's pairs, or why it is not a form. */
type RawTokenBody = { readonly pairs: [string, string][] } | { readonly notAForm: string };

/**
 * The Authority's HTTP face (SPEC §3): `POST /connect/token` (OAuth 2.0 client credentials, RFC 6749
 * errors), `GET /.well-known/openid-configuration` and `GET /.well-known/jwks.json`. With an external
 * issuer none of them is served: tokens come from there.
 */
export function registerAuthorityRoutes(
  app: FastifyInstance,
  deps: {
    readonly authority: Authority;
    /** Counts grants and refusals (by OAuth error), never who asked or with what. */
    readonly metrics?: Pick<OrchestratorMetrics, 'tokenRequest' | 'rateLimited'>;
  },
): void {
  const { authority, metrics } = deps;
  const tokens = authority.tokens;
  if (tokens === null) return;

  app.get('/.well-known/openid-configuration', { schema: { hide: true } }, (request) => {
    const base = `${request.protocol}://${request.host}`;
    return {
      issuer: authority.config.issuer,
      token_endpoint: `${base}/connect/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: [...SCOPES],
      response_types_supported: ['token'],
      access_token_signing_alg_values_supported: ['ES256'],
    };
  });

  app.get('/.well-known/jwks.json', { schema: { hide: true } }, async (_request, reply) => {
    const keys = await authority.keys.listPublishedKeys('token');
    void reply.header('cache-control', 'public, max-age=300');
    return { keys: keys.map((key) => key.publicJwk) };
  });

  // The token endpoint reads forms (and only here): its own parsers, its own error bodies.
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
      (request, body, next) => {
        next(null, parseForm(request.headers['content-type'], String(body)));
      },
    );
    scope.setErrorHandler((error, request, reply) => {
      const tooLarge = (error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
      if (!tooLarge) request.log.error({ err: error }, 'token request failed');
      metrics?.tokenRequest(tooLarge ? 'invalid_request' : 'temporarily_unavailable');
      return tooLarge
        ? sendOAuthError(reply, new OAuthError('invalid_request', `the form is over ${MAX_FORM_BYTES} bytes`))
        : reply.code(503).header('cache-control', 'no-store').send({
            error: 'temporarily_unavailable',
            error_description: 'the token service cannot answer now; try again',
          });
    });
    scope.post('/connect/token', { schema: { hide: true } }, async (request, reply) => {
      const limit = authority.tokenLimiter.take(`ip:${request.ip}`);
      if (!limit.allowed) {
        metrics?.rateLimited('token_endpoint');
        metrics?.tokenRequest('slow_down');
        return reply
          .code(429)
          .header('retry-after', String(limit.retryAfterSeconds))
          .header('cache-control', 'no-store')
          .send({ error: 'slow_down', error_description: 'too many token requests from this address' });
      }
      try {
        const answer = await tokens.grantToken(tokenRequestOf(request), request.id);
        metrics?.tokenRequest(null);
        return await reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(answer);
      } catch (error) {
        if (error instanceof OAuthError) {
          metrics?.tokenRequest(error.error);
          return sendOAuthError(reply, error);
        }
        throw error;
      }
    });
    done();
  });
}

function parseForm(contentType: string | undefined, body: string): RawTokenBody {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== FORM_TYPE) return { notAForm: `the body must be ${FORM_TYPE}` };
  return { pairs: [...new URLSearchParams(body)] };
}

/** The token request of an HTTP request: its form, its Basic credentials, and what is malformed about it. */
function tokenRequestOf(request: FastifyRequest): TokenRequestInput {
  const body = request.body as RawTokenBody | undefined;
  if (body === undefined || 'notAForm' in body) {
    return {
      form: {},
      malformed: { error: 'invalid_request', description: body?.notAForm ?? `the body must be ${FORM_TYPE}` },
    };
  }
  const form: Record<string, string> = {};
  const repeated = new Set<string>();
  for (const [name, value] of body.pairs) {
    if (Object.hasOwn(form, name)) repeated.add(name);
    form[name] = value;
  }
  if (repeated.size > 0) {
    return {
      form,
      malformed: {
        error: 'invalid_request',
        description: `parameters given more than once: ${[...repeated].join(', ')}`,
      },
    };
  }
  const authorization = request.headers.authorization;
  if (authorization === undefined) return { form };
  const basic = basicCredentials(authorization);
  if (basic === null) {
    return {
      form,
      malformed: {
        error: 'invalid_client',
        description: 'the Authorization header must be HTTP Basic client credentials',
      },
    };
  }
  return { form, basic };
}

/** RFC 6749 §2.3.1: `Basic base64(urlencode(id):urlencode(secret))`. */
function basicCredentials(header: string): { clientId: string; clientSecret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(header);
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
    };
  } catch {
    return null;
  }
}

function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  if (error.error === 'invalid_client') void reply.header('www-authenticate', 'Basic realm="stella-orch"');
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ error: error.error, error_description: error.message });
}
