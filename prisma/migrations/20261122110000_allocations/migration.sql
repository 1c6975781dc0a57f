-- AlterTable
ALTER TABLE "Channel" ADD COLUMN     "allocationEnabled" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Listing" ADD COLUMN     "allocOp" JSONB,
ADD COLUMN     "allocSeq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "allocatedQuantity" INTEGER;

-- AlterTable
ALTER TABLE "ShopifyAdjustment" ADD COLUMN     "quantityName" TEXT NOT NULL DEFAULT 'available';
