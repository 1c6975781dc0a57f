-- Issue 18 item 1 (engineer N): analytics rollup tables (decisions 287–289). Additive only.
CREATE TABLE "AnalyticsRollupState" (
    "shopId" TEXT NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "refreshedFrom" TIMESTAMP(3),
    "lastRefreshAt" TIMESTAMP(3),
    "lastSnapshotDay" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AnalyticsRollupState_pkey" PRIMARY KEY ("shopId")
);

CREATE TABLE "AnalyticsSkuDay" (
    "shopId" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "unitsSold" INTEGER NOT NULL DEFAULT 0,
    "stockout" BOOLEAN NOT NULL DEFAULT false,
    "minAvailable" INTEGER,
    "endAvailable" INTEGER,
    CONSTRAINT "AnalyticsSkuDay_pkey" PRIMARY KEY ("shopId","itemId","day")
);
CREATE INDEX "AnalyticsSkuDay_shopId_day_idx" ON "AnalyticsSkuDay"("shopId", "day");

CREATE TABLE "AnalyticsSkuChannelDay" (
    "shopId" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "units" INTEGER NOT NULL,
    CONSTRAINT "AnalyticsSkuChannelDay_pkey" PRIMARY KEY ("shopId","itemId","channelId","day")
);
CREATE INDEX "AnalyticsSkuChannelDay_shopId_day_idx" ON "AnalyticsSkuChannelDay"("shopId", "day");

CREATE TABLE "AnalyticsChannelDay" (
    "shopId" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "currency" TEXT NOT NULL,
    "orders" INTEGER NOT NULL,
    "cancelledOrders" INTEGER NOT NULL,
    "units" INTEGER NOT NULL,
    "revenue" DECIMAL(16,2) NOT NULL,
    "refundedOrders" INTEGER NOT NULL,
    "refunds" DECIMAL(16,2) NOT NULL,
    CONSTRAINT "AnalyticsChannelDay_pkey" PRIMARY KEY ("shopId","channelId","day","currency")
);
CREATE INDEX "AnalyticsChannelDay_shopId_day_idx" ON "AnalyticsChannelDay"("shopId", "day");

CREATE TABLE "InventoryValueSnapshot" (
    "shopId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "itemId" TEXT NOT NULL,
    "available" INTEGER NOT NULL,
    "unitCost" DECIMAL(14,2),
    "currency" TEXT,
    CONSTRAINT "InventoryValueSnapshot_pkey" PRIMARY KEY ("shopId","day","itemId")
);

CREATE TABLE "InventoryValueDay" (
    "shopId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "currency" TEXT NOT NULL,
    "units" INTEGER NOT NULL,
    "value" DECIMAL(18,2) NOT NULL,
    "items" INTEGER NOT NULL,
    "itemsWithoutCost" INTEGER NOT NULL,
    CONSTRAINT "InventoryValueDay_pkey" PRIMARY KEY ("shopId","day","currency")
);

-- The incremental refresh reads orders changed since its last run (record orders' cancellations and refunds).
CREATE INDEX "Order_shopId_updatedAt_idx" ON "Order"("shopId", "updatedAt");
