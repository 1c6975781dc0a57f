-- Orders page "Not imported" filter (issue 15 item 5, decision 263): a partial index holding exactly the orders the
-- filter can match on any channel — no central order, not cancelled, and counted against stock or claimed by the
-- import (queued / failed). The page walks it by placedAt and the tab count reads only it, where
-- Order_shopId_placedAt_idx made PostgreSQL walk the whole shop. Prisma 6 cannot declare a partial index: the schema
-- declares the same columns with this map name (see schema.prisma), and `prisma migrate diff` asks for no change.
-- Additive only.
CREATE INDEX "Order_journey_not_imported_idx" ON "Order"("shopId", "placedAt")
  WHERE "centralOrderId" IS NULL AND "cancelledAt" IS NULL AND ("stockTaken" OR "importState" IN ('queued', 'failed'));
-- The same orders keyed by channel: the "Not imported" count and id read take only the importing channels' part
-- (a BitmapOr with Order_shopId_importState_placedAt_idx for the queued / failed arm), never a store that does not
-- import.
CREATE INDEX "Order_journey_not_imported_channel_idx" ON "Order"("channelId", "placedAt")
  WHERE "centralOrderId" IS NULL AND "cancelledAt" IS NULL AND ("stockTaken" OR "importState" IN ('queued', 'failed'));
