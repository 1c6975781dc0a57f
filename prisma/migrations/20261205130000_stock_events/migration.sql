-- Issue 12 part B (decisions 130, 131, 133): plugin stock events, per-line stock tallies, buffer source.
ALTER TABLE "Channel" ADD COLUMN "stockEvents" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Channel" ADD COLUMN "bufferSource" TEXT NOT NULL DEFAULT 'default';

ALTER TABLE "OrderLine" ADD COLUMN "stockTakenQuantity" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "OrderLine" ADD COLUMN "stockEventStream" TEXT;
ALTER TABLE "OrderLine" ADD COLUMN "stockEventSeq" INTEGER;

-- Orders whose sale the hub took before this change: each linked line was taken in full.
UPDATE "OrderLine" ol SET "stockTakenQuantity" = ol.quantity
FROM "Order" o
WHERE o.id = ol."orderId" AND o."stockTaken" AND ol."itemId" IS NOT NULL;
