import type { FastifyInstance } from 'fastify';
import { envelopeJsonSchema } from '../../contracts/cloudevent.js';
import { type JsonSchema, jsonSchemaOf } from '../../contracts/event-contract.js';
import { findContract, listSchemas, versionsOf } from '../../contracts/registry.js';
import { ErrorCode, failure } from '../../core/errors.js';
import { sendFailure } from '../http-errors.js';

/** One entry of `GET /api/v1/schemas`. */
export interface SchemaSummary {
  type: string;
  /** The latest version: what producers should send. */
  version: number;
  /** Every published version; older ones stay valid for events already in the log. */
  versions: number[];
  description: string;
  subject: string | null;
  /** The `dataschema` URI of the latest version. */
  dataschema: string;
  /** Dotted paths into `data` of personal fields, pseudonymised before the warehouse. */
  pii_fields: readonly string[];
  /** Dotted paths into `data` of free-form content, dropped before the warehouse. */
  free_form_fields: readonly string[];
  key_fields: readonly string[];
  /** Where to fetch the JSON Schema of the latest version. */
  href: string;
}

export interface SchemaListResponse {
  /** The JSON Schema of the CloudEvents 1.0 envelope every event travels in. */
  envelope: JsonSchema;
  schemas: SchemaSummary[];
}

/** `GET /api/v1/schemas/:type` answers with the JSON Schema (draft 2020-12) document itself. */
export type SchemaResponse = JsonSchema;

const VERSION_RE = /^[1-9]\d{0,5}$/;

/**
 * `GET /api/v1/schemas` lists the data contract; `GET /api/v1/schemas/:type[?version=N]` returns
 * the JSON Schema of a type's `data` (latest version by default).
 */
export async function registerSchemaRoutes(app: FastifyInstance): Promise<void> {
  const list: SchemaListResponse = {
    envelope: envelopeJsonSchema(),
    schemas: listSchemas()
      .filter((s) => s.latest)
      .map((s) => ({
        type: s.type,
        version: s.version,
        versions: [...versionsOf(s.type)],
        description: s.description,
        subject: s.subject,
        dataschema: s.dataschema,
        pii_fields: s.piiFields,
        free_form_fields: s.freeFormFields,
        key_fields: s.keyFields,
        href: `/api/v1/schemas/${s.type}`,
      })),
  };

  app.get('/api/v1/schemas', async () => list);

  app.get<{ Params: { type: string }; Querystring: { version?: string } }>('/api/v1/schemas/:type', async (request, reply) => {
    const { type } = request.params;
    const asked = request.query.version;
    if (asked !== undefined && (typeof asked !== 'string' || !VERSION_RE.test(asked))) {
      return sendFailure(
        reply,
        failure(ErrorCode.VALIDATION_FAILED, `version: '${String(asked)}' is not a version; send a positive integer such as 1`, {
          issues: [{ field: 'version', message: 'must be a positive integer' }],
        }),
      );
    }
    const versions = versionsOf(type);
    if (versions.length === 0) {
      return sendFailure(
        reply,
        failure(ErrorCode.NOT_FOUND, `no event type '${type}' in the data contract; GET /api/v1/schemas lists the published types`),
      );
    }
    const contract = findContract(type, asked === undefined ? undefined : Number(asked));
    if (!contract) {
      return sendFailure(
        reply,
        failure(ErrorCode.NOT_FOUND, `${type} has no version ${asked}; published versions: ${versions.join(', ')}`),
      );
    }
    return jsonSchemaOf(contract);
  });
}
