-- Issue 11 (catalog scale): coalesced pushes and the push drainer lease (docs/decisions/100), batched Shopify
-- writes of store sales (102), demand from recent orders (103), batched rebalancing (104).

-- AlterTable
ALTER TABLE "Channel" ADD COLUMN "pluginFeatures" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "pushLeaseOwner" TEXT,
ADD COLUMN "pushLeaseUntil" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "CatalogItem" ADD COLUMN "rebalanceRequestedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Listing" ADD COLUMN "inFlightPushQuantity" INTEGER,
ADD COLUMN "inFlightPushAt" TIMESTAMP(3),
ADD COLUMN "pushRequestedAt" TIMESTAMP(3),
ADD COLUMN "pushRefusals" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "pushLastError" TEXT;

-- AlterTable
ALTER TABLE "ShopifyAdjustment" ADD COLUMN "batchId" TEXT;

-- CreateTable
CREATE TABLE "ShopifyWriteBatch" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "quantityName" TEXT NOT NULL,
    "channelId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'sending',
    "changes" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "ShopifyWriteBatch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ShopifyWriteBatch_shopId_status_idx" ON "ShopifyWriteBatch"("shopId", "status");

-- CreateIndex
CREATE INDEX "CatalogItem_shopId_rebalanceRequestedAt_idx" ON "CatalogItem"("shopId", "rebalanceRequestedAt");

-- CreateIndex
CREATE INDEX "Listing_channelId_pushRequestedAt_idx" ON "Listing"("channelId", "pushRequestedAt");

-- CreateIndex
CREATE INDEX "ShopifyAdjustment_batchId_idx" ON "ShopifyAdjustment"("batchId");

-- CreateIndex
CREATE INDEX "OrderLine_itemId_idx" ON "OrderLine"("itemId");

-- AddForeignKey
ALTER TABLE "ShopifyWriteBatch" ADD CONSTRAINT "ShopifyWriteBatch_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
