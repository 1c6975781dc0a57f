-- Orders hub catch-up (issue 15, decision 236): what the import job needs that the order row did not keep (the source's
-- addresses, paid, shipping), kept with the claim, and the lines as imported (source edits are compared with them).
ALTER TABLE "Order" ADD COLUMN "importSource" JSONB;
