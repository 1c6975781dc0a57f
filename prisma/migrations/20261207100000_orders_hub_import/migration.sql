-- Orders hub (issue 15, decisions 215–218): an order's import into the central shop, and per-channel import settings.
ALTER TABLE "Order" ADD COLUMN "importKey" TEXT,
ADD COLUMN "importState" TEXT,
ADD COLUMN "importError" TEXT,
ADD COLUMN "importAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "importLeaseUntil" TIMESTAMP(3),
ADD COLUMN "centralOrderId" TEXT,
ADD COLUMN "centralOrderName" TEXT,
ADD COLUMN "importedAt" TIMESTAMP(3),
ADD COLUMN "importFlags" TEXT[] DEFAULT ARRAY[]::TEXT[];

CREATE UNIQUE INDEX "Order_importKey_key" ON "Order"("importKey");
CREATE INDEX "Order_shopId_centralOrderId_idx" ON "Order"("shopId", "centralOrderId");

CREATE TABLE "OrderImportSetting" (
    "id" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "importOrders" BOOLEAN NOT NULL DEFAULT false,
    "fromStatuses" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "orderLookbackHours" INTEGER NOT NULL DEFAULT 24,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "note" TEXT,
    "billingAddress" JSONB,
    "notifyCustomer" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrderImportSetting_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "OrderImportSetting_channelId_key" ON "OrderImportSetting"("channelId");

ALTER TABLE "OrderImportSetting" ADD CONSTRAINT "OrderImportSetting_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "Channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;
