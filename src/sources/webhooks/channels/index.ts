import { type ChannelAdapter, createChannelRegistry } from './channel-adapter.js';
import { razorpayAdapter } from './razorpay-adapter.js';
import { stripeAdapter } from './stripe-adapter.js';

export type { ChannelAdapter } from './channel-adapter.js';
export { findChannelAdapter } from './channel-adapter.js';

/** Every channel served at `POST /api/v1/payments/webhook/:channel`; add a new adapter here. */
export const channelAdapters: ReadonlyMap<string, ChannelAdapter> = createChannelRegistry([razorpayAdapter, stripeAdapter]);
