-- CreateIndex
CREATE INDEX "CatalogItem_shopId_title_idx" ON "CatalogItem"("shopId", "title");

-- CreateIndex
CREATE INDEX "StockLedger_shopId_orderId_idx" ON "StockLedger"("shopId", "orderId");

-- CreateIndex
CREATE INDEX "ShopifyAdjustment_shopId_orderId_idx" ON "ShopifyAdjustment"("shopId", "orderId");

-- CreateIndex
CREATE INDEX "SyncRun_shopId_kind_startedAt_idx" ON "SyncRun"("shopId", "kind", "startedAt");

-- CreateIndex
CREATE INDEX "Notification_eventId_idx" ON "Notification"("eventId");

