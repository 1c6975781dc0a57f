/** Outbound webhook topics and what each means (pure: shared by the delivery module and the API page). */
export const OUTBOUND_TOPICS = ["stock.changed", "order.imported", "conflict.raised", "store.unhealthy"] as const;
export type OutboundTopic = (typeof OUTBOUND_TOPICS)[number];

/** What each topic means (admin page, docs). */
export const TOPIC_INFO: Record<OutboundTopic, string> = {
  "stock.changed": "Stock changed (every ledger movement: sales, restocks, pushes, reconciliation, API changes)",
  "order.imported": "Order imported from a sales channel",
  "conflict.raised": "Stock conflict raised for review",
  "store.unhealthy": "A store became unhealthy (failing webhooks or writes)",
};
