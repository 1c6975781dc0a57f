-- Orders hub (issue 15): central fulfilments pushed back to the source store, and per-channel pushback settings.
ALTER TABLE "Order" ADD COLUMN "fulfilmentState" TEXT,
ADD COLUMN "trackingDeliveredAt" TIMESTAMP(3);

ALTER TABLE "OrderImportSetting" ADD COLUMN "pushFulfilments" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "fulfilmentLookbackHours" INTEGER NOT NULL DEFAULT 24,
ADD COLUMN "notifySourceCustomer" BOOLEAN NOT NULL DEFAULT true;

CREATE TABLE "OrderFulfilment" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "centralFulfilmentId" TEXT NOT NULL,
    "centralStatus" TEXT NOT NULL,
    "trackingCompany" TEXT,
    "trackingNumbers" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "trackingUrls" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "lines" JSONB NOT NULL,
    "centralUpdatedAt" TIMESTAMP(3) NOT NULL,
    "pushState" TEXT NOT NULL DEFAULT 'pending',
    "pushError" TEXT,
    "pushAttempts" INTEGER NOT NULL DEFAULT 0,
    "pushLeaseUntil" TIMESTAMP(3),
    "pushedVersion" TEXT,
    "pushedAt" TIMESTAMP(3),
    "sourceRef" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrderFulfilment_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "OrderFulfilment_orderId_centralFulfilmentId_key" ON "OrderFulfilment"("orderId", "centralFulfilmentId");
CREATE INDEX "OrderFulfilment_pushState_idx" ON "OrderFulfilment"("pushState");

ALTER TABLE "OrderFulfilment" ADD CONSTRAINT "OrderFulfilment_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;
