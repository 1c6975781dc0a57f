-- Issue 17: billing plans (decisions 170-172).
-- The shop's plan as Shopify's Billing API last told us (null planKey = the Free plan, no subscription).
ALTER TABLE "Shop" ADD COLUMN "planKey" TEXT;
ALTER TABLE "Shop" ADD COLUMN "subscriptionId" TEXT;
ALTER TABLE "Shop" ADD COLUMN "subscriptionStatus" TEXT;
ALTER TABLE "Shop" ADD COLUMN "subscriptionTest" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Shop" ADD COLUMN "currentPeriodEnd" TIMESTAMP(3);
ALTER TABLE "Shop" ADD COLUMN "trialEndsAt" TIMESTAMP(3);
ALTER TABLE "Shop" ADD COLUMN "trialUsedAt" TIMESTAMP(3);
-- Shopify's updated_at of the last subscription state applied: older app_subscriptions/update deliveries are ignored.
ALTER TABLE "Shop" ADD COLUMN "billingUpdatedAt" TIMESTAMP(3);

-- A channel paused by a downgrade below its count: stock keeps syncing, with no order imports and no notifications.
ALTER TABLE "Channel" ADD COLUMN "pausedAt" TIMESTAMP(3);
ALTER TABLE "Channel" ADD COLUMN "pausedReason" TEXT;

-- Shopify Flow triggers sent per domain event (decision 173): one row per event and trigger, so a retried job never starts a workflow twice.
CREATE TABLE "FlowTriggerSend" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    CONSTRAINT "FlowTriggerSend_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "FlowTriggerSend_eventId_handle_key" ON "FlowTriggerSend"("eventId", "handle");
CREATE INDEX "FlowTriggerSend_shopId_createdAt_idx" ON "FlowTriggerSend"("shopId", "createdAt");
ALTER TABLE "FlowTriggerSend" ADD CONSTRAINT "FlowTriggerSend_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
