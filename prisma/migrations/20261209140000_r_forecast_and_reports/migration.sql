-- Issue 18 (R), items 2–3: forecast settings per shop and per item, the latest forecast per item (the Reorder view
-- reads it, lowest cover first), scheduled e-mail reports and their runs (unique schedule + period: sent once across
-- workers). docs/decisions/294–297. Additive only.
-- CreateTable
CREATE TABLE "ForecastSettings" (
    "shopId" TEXT NOT NULL,
    "leadTimeDays" INTEGER NOT NULL DEFAULT 14,
    "safetyStock" INTEGER NOT NULL DEFAULT 0,
    "orderForDays" INTEGER NOT NULL DEFAULT 30,
    "historyDays" INTEGER NOT NULL DEFAULT 56,
    "lowCoverAlerts" BOOLEAN NOT NULL DEFAULT true,
    "computedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ForecastSettings_pkey" PRIMARY KEY ("shopId")
);

-- CreateTable
CREATE TABLE "ItemForecastSetting" (
    "itemId" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "leadTimeDays" INTEGER,
    "safetyStock" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ItemForecastSetting_pkey" PRIMARY KEY ("itemId")
);

-- CreateTable
CREATE TABLE "ItemForecast" (
    "itemId" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "available" INTEGER,
    "demandPerDay" DOUBLE PRECISION,
    "method" TEXT NOT NULL,
    "slopePerDay" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "daysUsed" INTEGER NOT NULL,
    "stockoutDays" INTEGER NOT NULL,
    "lowHistory" BOOLEAN NOT NULL,
    "daysOfCover" DOUBLE PRECISION,
    "stockoutDate" TEXT,
    "leadTimeDays" INTEGER NOT NULL,
    "safetyStock" INTEGER NOT NULL,
    "reorderPoint" INTEGER NOT NULL,
    "reorderNow" BOOLEAN NOT NULL,
    "suggestedQty" INTEGER NOT NULL,
    "lowCover" BOOLEAN NOT NULL,
    "anomaly" TEXT,
    "anomalyScore" DOUBLE PRECISION,
    "computedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ItemForecast_pkey" PRIMARY KEY ("itemId")
);

-- CreateTable
CREATE TABLE "ReportSchedule" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "frequency" TEXT NOT NULL DEFAULT 'weekly',
    "weekday" INTEGER NOT NULL DEFAULT 1,
    "hour" INTEGER NOT NULL DEFAULT 8,
    "recipients" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReportSchedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReportRun" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "scheduleId" TEXT NOT NULL,
    "periodKey" TEXT NOT NULL,
    "periodStart" TEXT NOT NULL,
    "periodEnd" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "recipients" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "messageId" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReportRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ItemForecastSetting_shopId_idx" ON "ItemForecastSetting"("shopId");

-- CreateIndex
CREATE INDEX "ItemForecast_shopId_daysOfCover_idx" ON "ItemForecast"("shopId", "daysOfCover");

-- CreateIndex
CREATE INDEX "ItemForecast_shopId_reorderNow_idx" ON "ItemForecast"("shopId", "reorderNow");

-- CreateIndex
CREATE UNIQUE INDEX "ReportSchedule_shopId_key" ON "ReportSchedule"("shopId");

-- CreateIndex
CREATE INDEX "ReportRun_shopId_createdAt_idx" ON "ReportRun"("shopId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ReportRun_scheduleId_periodKey_key" ON "ReportRun"("scheduleId", "periodKey");

-- AddForeignKey
ALTER TABLE "ForecastSettings" ADD CONSTRAINT "ForecastSettings_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ItemForecastSetting" ADD CONSTRAINT "ItemForecastSetting_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "CatalogItem"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ItemForecast" ADD CONSTRAINT "ItemForecast_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ItemForecast" ADD CONSTRAINT "ItemForecast_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "CatalogItem"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportSchedule" ADD CONSTRAINT "ReportSchedule_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportRun" ADD CONSTRAINT "ReportRun_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportRun" ADD CONSTRAINT "ReportRun_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "ReportSchedule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

