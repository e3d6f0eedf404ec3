import type { ValidEvent } from '../../contracts/index.js';
import type { RowOf } from '../../warehouse/tables.js';
import { type EventOf, type Fact, orNull } from './fact.js';

/** Facts of behavioural events (one behaviour_events row each) and of experiment exposures. */

export type BehaviourEvent = Extract<
  ValidEvent,
  {
    type:
      | 'checkout.started'
      | 'checkout.abandoned'
      | 'product.viewed'
      | 'product.added_to_cart'
      | 'search.query'
      | 'search.result_clicked'
      | 'user.registered'
      | 'user.logged_in';
  }
>;

/** Columns every behavioural event shares; the type's other fields go to `properties`. */
function behaviourRow(event: BehaviourEvent, at: Date): RowOf<'behaviour_events'> {
  const {
    session_id,
    user_id,
    anonymous_id,
    device,
    traffic,
    customer_segment,
    country,
    region,
    merchant_id,
    product_id,
    category,
    checkout_id,
    quantity,
    price,
    cart_amount,
    ...properties
  } = event.data as Record<string, unknown> as Partial<Record<string, unknown>> & {
    device?: { type: string; os?: string | null; browser?: string | null } | null;
    traffic?: { source: string; medium?: string | null; campaign?: string | null } | null;
    price?: { amount_minor: number; currency: string } | null;
    cart_amount?: { amount_minor: number; currency: string } | null;
  };
  const amount = cart_amount ?? price ?? null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    event_id: event.id,
    event_type: event.type,
    event_time: at,
    session_hash: str(session_id),
    user_hash: str(user_id),
    anonymous_hash: str(anonymous_id),
    device_type: device?.type ?? null,
    os: orNull(device?.os),
    browser: orNull(device?.browser),
    traffic_source: traffic?.source ?? null,
    traffic_medium: orNull(traffic?.medium),
    campaign: orNull(traffic?.campaign),
    customer_segment: str(customer_segment),
    country: str(country),
    region: str(region),
    merchant_id: str(merchant_id),
    product_id: str(product_id),
    category: str(category),
    checkout_id: str(checkout_id),
    amount_minor: amount?.amount_minor ?? null,
    currency: amount?.currency ?? null,
    quantity: typeof quantity === 'number' ? quantity : null,
    properties: Object.keys(properties).length > 0 ? properties : null,
  };
}

/** A behavioural event: one behaviour_events row. */
export function behaviourFacts(event: BehaviourEvent, at: Date): Fact[] {
  return [{ table: 'behaviour_events', row: behaviourRow(event, at) }];
}

/** experiment.exposure_recorded: one exposure row. */
export function exposureFacts(event: EventOf<'experiment.exposure_recorded'>, at: Date): Fact[] {
  const d = event.data;
  return [
    {
      table: 'experiment_exposures',
      row: {
        event_id: event.id,
        event_time: at,
        experiment_id: d.experiment_id,
        variant: d.variant,
        unit_type: d.unit_type,
        unit_hash: d.unit_id,
        bucket: orNull(d.bucket),
        session_hash: orNull(d.session_id),
        user_hash: orNull(d.user_id),
        device_type: orNull(d.device?.type),
        country: orNull(d.country),
      },
    },
  ];
}
