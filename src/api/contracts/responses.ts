import type { z } from 'zod';
import type {
  breakdownResponse,
  failureReasonsResponse,
  kpisResponse,
  kpisRouteResponse,
  reasonsResponse,
  timeseriesResponse,
  topResponse,
} from '../routes/analytics-routes.js';
import type { cohortResponse } from '../routes/cohort-routes.js';
import type { CAPTURE_RESPONSE } from '../routes/events-route.js';
import type { funnelReportResponse, savedFunnelResponse, savedFunnelsResponse } from '../routes/funnels-route.js';
import type { fxRatesList, fxRatesLoaded } from '../routes/fx-rates-route.js';
import type { createdResponse, keyView } from '../routes/keys-routes.js';
import type { detailResponse, listResponse } from '../routes/payments-explorer-route.js';
import type { rfmCustomersResponse, rfmResponse } from '../routes/rfm-routes.js';
import type { sessionResponse } from '../routes/session-route.js';
import type { settlementTilesResponse } from '../routes/settlement-routes.js';
import type { sqlResponse, sqlViewsResponse } from '../routes/sql-route.js';

/**
 * The API's response bodies as TypeScript types, inferred from the zod schemas the routes document
 * in OpenAPI (one schema per response, types derived from it). Type-only: importing this module
 * (the dashboard does, from web/src/shapes.ts) pulls no runtime code, so the web bundle stays free
 * of server modules. A route whose response has a schema gets its type here.
 */

export type Kpis = z.infer<typeof kpisResponse>;
export type KpisResponse = z.infer<typeof kpisRouteResponse>;
export type BreakdownResponse = z.infer<typeof breakdownResponse>;
export type TimeseriesResponse = z.infer<typeof timeseriesResponse>;
export type FailureReasonsResponse = z.infer<typeof failureReasonsResponse>;
export type RefundReasonsResponse = z.infer<typeof reasonsResponse>;
export type TopResponse = z.infer<typeof topResponse>;
export type SettlementTilesResponse = z.infer<typeof settlementTilesResponse>;
export type PaymentsListResponse = z.infer<typeof listResponse>;
export type PaymentDetailResponse = z.infer<typeof detailResponse>;
export type SessionResponse = z.infer<typeof sessionResponse>;
export type FxRatesResponse = z.infer<typeof fxRatesList>;
export type FxRatesLoadedResponse = z.infer<typeof fxRatesLoaded>;
export type ApiKeyView = z.infer<typeof keyView>;
export type ApiKeyCreatedResponse = z.infer<typeof createdResponse>;
export type SqlResponse = z.infer<typeof sqlResponse>;
export type SqlViewsResponse = z.infer<typeof sqlViewsResponse>;
export type EventsCaptureResponse = z.infer<typeof CAPTURE_RESPONSE>;
export type FunnelReportResponse = z.infer<typeof funnelReportResponse>;
export type SavedFunnel = z.infer<typeof savedFunnelResponse>;
export type SavedFunnelsResponse = z.infer<typeof savedFunnelsResponse>;
export type CohortResponse = z.infer<typeof cohortResponse>;
export type RfmResponse = z.infer<typeof rfmResponse>;
export type RfmCustomersResponse = z.infer<typeof rfmCustomersResponse>;
