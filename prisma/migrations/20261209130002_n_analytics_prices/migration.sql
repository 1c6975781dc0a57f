-- Issue 18 item 1 (engineer N): units and amount sold per SKU, channel, currency and day (decision 288). Additive only.
CREATE TABLE "AnalyticsPriceDay" (
    "shopId" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "units" INTEGER NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    CONSTRAINT "AnalyticsPriceDay_pkey" PRIMARY KEY ("shopId","day","itemId","channelId","currency")
);
