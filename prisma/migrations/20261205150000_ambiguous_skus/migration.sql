-- Issue 11: SKUs that differ only by letter case are reported as ambiguous and alerted once (docs/decisions/107).
ALTER TABLE "Listing" ADD COLUMN "ambiguousAlertedAt" TIMESTAMP(3);
