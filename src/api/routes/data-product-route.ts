import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type DataQualityDeps, dataProductDescriptor } from '../../pipeline/data-quality.js';

// The response, for the OpenAPI document (built by dataProductDescriptor in src/pipeline/data-quality.ts).
const dataProductResponse = z.object({
  name: z.string(),
  description: z.string(),
  owner: z.string(),
  domain: z.string(),
  output_ports: z.array(z.object({ kind: z.string(), description: z.string() })),
  tables: z.array(z.object({ name: z.string(), description: z.string(), columns: z.array(z.string()) })),
  schemas: z.array(z.object({ type: z.string(), version: z.number().int(), latest: z.boolean(), dataschema: z.string(), url: z.string() })),
  personal_data: z.string(),
  slos: z.array(
    z.object({
      name: z.string(),
      objective: z.string(),
      target: z.number(),
      unit: z.string(),
      measured: z.number().nullable(),
      met: z.boolean().nullable(),
      how: z.string(),
    }),
  ),
  measured_at: z.string(),
});

export interface DataProductRouteDeps extends DataQualityDeps {
  /** DATA_PRODUCT_OWNER: who answers for the data product. */
  dataProductOwner: string;
}

/** `GET /api/v1/data-product`: the data product's descriptor (owner, output ports, schemas) with its SLOs measured now. */
export async function registerDataProductRoutes(app: FastifyInstance, deps: DataProductRouteDeps): Promise<void> {
  app.get(
    '/api/v1/data-product',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: {
          summary: 'The data product descriptor: owner, tables, schemas, SLOs',
          tags: ['pipeline'],
          response: dataProductResponse,
        },
      },
    },
    async (request) => {
      const base = `${request.protocol}://${request.host}`;
      return dataProductDescriptor({ ...deps, owner: deps.dataProductOwner, baseUrl: base });
    },
  );
}
