-- Issue 14: retailer Shopify shops linked to a central shop (decision 195).
-- What a connection code connects: a WooCommerce store (every code made so far) or a retailer Shopify shop.
ALTER TABLE "ConnectionCode" ADD COLUMN "purpose" TEXT NOT NULL DEFAULT 'woocommerce';

-- A retailer shop's link to the one central shop whose stock it sells. Its sales-channel settings live on the
-- central shop's Channel row (kind "shopify_retailer") and the retailer-only ones here.
CREATE TABLE "RetailerLink" (
    "id" TEXT NOT NULL,
    "centralShopId" TEXT NOT NULL,
    "retailerShopId" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "retailerLocationId" TEXT,
    "syncInventory" BOOLEAN NOT NULL DEFAULT true,
    "importOrders" BOOLEAN NOT NULL DEFAULT false,
    "pushFulfilments" BOOLEAN NOT NULL DEFAULT false,
    "orderLookbackHours" INTEGER NOT NULL DEFAULT 24,
    "fulfilmentLookbackHours" INTEGER NOT NULL DEFAULT 24,
    "orderTags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "orderNote" TEXT,
    "status" TEXT NOT NULL DEFAULT 'linked',
    "linkedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "unlinkedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "RetailerLink_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "RetailerLink_retailerShopId_key" ON "RetailerLink"("retailerShopId");
CREATE UNIQUE INDEX "RetailerLink_channelId_key" ON "RetailerLink"("channelId");
CREATE INDEX "RetailerLink_centralShopId_idx" ON "RetailerLink"("centralShopId");
ALTER TABLE "RetailerLink" ADD CONSTRAINT "RetailerLink_centralShopId_fkey" FOREIGN KEY ("centralShopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RetailerLink" ADD CONSTRAINT "RetailerLink_retailerShopId_fkey" FOREIGN KEY ("retailerShopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RetailerLink" ADD CONSTRAINT "RetailerLink_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "Channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A retailer's inventory_levels/update names only the inventory item: the intake finds the listing by it.
CREATE INDEX "Listing_channelId_inventoryItemId_idx" ON "Listing"("channelId", "inventoryItemId");
