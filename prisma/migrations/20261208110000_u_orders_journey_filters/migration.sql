-- Orders page journey filters (issue 15 item 5, decision 241): "needs attention" (failed imports, flagged orders) and
-- "not imported" (per importing channel) stay index scans in a shop with 100k orders. Additive only.
CREATE INDEX "Order_shopId_importState_placedAt_idx" ON "Order"("shopId", "importState", "placedAt");
CREATE INDEX "Order_channelId_centralOrderId_placedAt_idx" ON "Order"("channelId", "centralOrderId", "placedAt");
CREATE INDEX "Order_importFlags_idx" ON "Order" USING GIN ("importFlags");
