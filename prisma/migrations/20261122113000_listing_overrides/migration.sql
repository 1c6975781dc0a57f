-- AlterTable
ALTER TABLE "Listing" ADD COLUMN     "priceOverride" DECIMAL(14,2),
ADD COLUMN     "titleOverride" TEXT;

