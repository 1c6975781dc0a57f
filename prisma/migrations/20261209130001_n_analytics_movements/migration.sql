-- Issue 18 item 1 (engineer N): ledger movements per day, channel and cause (decision 287). Additive only.
CREATE TABLE "AnalyticsMovementDay" (
    "shopId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "channelId" TEXT NOT NULL,
    "cause" TEXT NOT NULL,
    "movements" INTEGER NOT NULL,
    "unitsIn" INTEGER NOT NULL,
    "unitsOut" INTEGER NOT NULL,
    CONSTRAINT "AnalyticsMovementDay_pkey" PRIMARY KEY ("shopId","day","channelId","cause")
);
