import {
  auditMetadataOf,
  type IncidentStatus,
  type RequestContext,
  type SloChangeContext,
  type SloInput,
  type SloPatch,
  type SloService,
} from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { pageFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { pageQuerySchema, withProblems } from '../schemas.js';
import {
  burnRateSchema,
  incidentIdParams,
  incidentSchema,
  sloBodyProperties,
  sloIdParams,
  sloSchema,
} from './slo-schemas.js';

function changeOf(ctx: RequestContext): SloChangeContext {
  return { actor: ctx.actor, audit: auditMetadataOf(ctx) };
}

function pageSchemaOf(item: object) {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item }, next_page_token: { type: ['string', 'null'] } },
  } as const;
}

/**
 * SLOs and incident mode (docs/api.md, "SLOs and incidents"): SLO CRUD (writes need `orch:operate` and
 * are audited `slo.create|update|delete` with the change), an SLO's burn rates now, and its incidents.
 */
export function registerSloRoutes(app: FastifyInstance, deps: { readonly slos: SloService }): void {
  const { slos } = deps;

  app.get<{ Querystring: { page_size?: string; page_token?: string } }>(
    '/slos',
    {
      schema: {
        tags: ['slos'],
        summary: 'List the tenant’s SLOs, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuerySchema } },
        response: withProblems({ 200: pageSchemaOf(sloSchema) }, [400]),
      },
    },
    async (request) => {
      const page = await slos.listSlos(contextOf(request).tenantId, pageFrom(request.query));
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.post<{ Body: SloInput }>(
    '/slos',
    {
      schema: {
        tags: ['slos'],
        summary: 'Define an SLO (audited as slo.create)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'objective'],
          properties: sloBodyProperties,
        },
        response: withProblems({ 201: sloSchema }, [400, 409]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const slo = await slos.createSlo(ctx.tenantId, request.body, changeOf(ctx));
      return reply.code(201).send(slo);
    },
  );

  app.get<{ Params: { sloId: string } }>(
    '/slos/:sloId',
    {
      schema: {
        tags: ['slos'],
        summary: 'Get an SLO',
        params: sloIdParams,
        response: withProblems({ 200: sloSchema }, [404]),
      },
    },
    (request) => slos.getSlo(contextOf(request).tenantId, request.params.sloId),
  );

  app.patch<{ Params: { sloId: string }; Body: SloPatch }>(
    '/slos/:sloId',
    {
      schema: {
        tags: ['slos'],
        summary: 'Change an SLO: the fields given replace the current ones (audited as slo.update)',
        params: sloIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: sloBodyProperties,
        },
        response: withProblems({ 200: sloSchema }, [400, 404, 409]),
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      return slos.updateSlo(ctx.tenantId, request.params.sloId, request.body, changeOf(ctx));
    },
  );

  app.delete<{ Params: { sloId: string } }>(
    '/slos/:sloId',
    {
      schema: {
        tags: ['slos'],
        summary: 'Delete an SLO and its incidents (audited as slo.delete)',
        params: sloIdParams,
        response: withProblems({ 204: { type: 'null' } }, [404]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      await slos.deleteSlo(ctx.tenantId, request.params.sloId, changeOf(ctx));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { sloId: string } }>(
    '/slos/:sloId/burn-rate',
    {
      schema: {
        tags: ['slos'],
        summary: 'An SLO’s burn rates over 1 h, 6 h, 24 h and 30 d now, its error budget and open incident',
        params: sloIdParams,
        response: withProblems({ 200: burnRateSchema }, [404]),
      },
    },
    async (request) => {
      const status = await slos.burnStatus(contextOf(request).tenantId, request.params.sloId);
      return {
        sloId: status.slo.sloId,
        name: status.slo.name,
        objective: status.slo.objective,
        asOf: status.report.asOf,
        windows: status.report.windows,
        errorBudget: status.report.errorBudget,
        alertPolicy: status.slo.alertPolicy,
        alerts: status.alerts,
        openIncident: status.openIncident,
      };
    },
  );

  app.get<{
    Querystring: { status?: IncidentStatus; slo_id?: string; page_size?: string; page_token?: string };
  }>(
    '/incidents',
    {
      schema: {
        tags: ['slos'],
        summary: 'List the tenant’s SLO incidents, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['open', 'resolved'] },
            slo_id: { type: 'string', maxLength: 64 },
            ...pageQuerySchema,
          },
        },
        response: withProblems({ 200: pageSchemaOf(incidentSchema) }, [400]),
      },
    },
    async (request) => {
      const { status, slo_id: sloId } = request.query;
      const page = await slos.listIncidents(contextOf(request).tenantId, {
        ...pageFrom(request.query),
        ...(status === undefined ? {} : { status }),
        ...(sloId === undefined ? {} : { sloId }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Params: { incidentId: string } }>(
    '/incidents/:incidentId',
    {
      schema: {
        tags: ['slos'],
        summary: 'Get an SLO incident',
        params: incidentIdParams,
        response: withProblems({ 200: incidentSchema }, [404]),
      },
    },
    (request) => slos.getIncident(contextOf(request).tenantId, request.params.incidentId),
  );
}
