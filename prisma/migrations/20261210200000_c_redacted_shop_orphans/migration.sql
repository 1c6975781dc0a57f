-- Issue 16 carried gap (GDPR, docs/decisions/304): shop/redact did not delete the analytics rollups, which have no
-- foreign key to "Shop". redactShop now deletes from every table with a "shopId" column, and this migration removes
-- the rows that earlier redactions left behind (rows whose shop no longer exists). Data only, no schema change.
DELETE FROM "AnalyticsRollupState" r WHERE NOT EXISTS (SELECT 1 FROM "Shop" s WHERE s."id" = r."shopId");
DELETE FROM "AnalyticsSkuDay" r WHERE NOT EXISTS (SELECT 1 FROM "Shop" s WHERE s."id" = r."shopId");
DELETE FROM "AnalyticsSkuChannelDay" r WHERE NOT EXISTS (SELECT 1 FROM "Shop" s WHERE s."id" = r."shopId");
DELETE FROM "AnalyticsChannelDay" r WHERE NOT EXISTS (SELECT 1 FROM "Shop" s WHERE s."id" = r."shopId");
DELETE FROM "InventoryValueSnapshot" r WHERE NOT EXISTS (SELECT 1 FROM "Shop" s WHERE s."id" = r."shopId");
DELETE FROM "InventoryValueDay" r WHERE NOT EXISTS (SELECT 1 FROM "Shop" s WHERE s."id" = r."shopId");
DELETE FROM "AnalyticsMovementDay" r WHERE NOT EXISTS (SELECT 1 FROM "Shop" s WHERE s."id" = r."shopId");
DELETE FROM "AnalyticsPriceDay" r WHERE NOT EXISTS (SELECT 1 FROM "Shop" s WHERE s."id" = r."shopId");
