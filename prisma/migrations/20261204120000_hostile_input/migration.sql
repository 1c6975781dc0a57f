-- Issue 13: hostile input and hostile callers.
-- Registration codes burned after 5 failed attempts (decision 142).
ALTER TABLE "ConnectionCode" ADD COLUMN "failedAttempts" INTEGER NOT NULL DEFAULT 0;

-- Plugin 1.0.0 calls (no timestamp/nonce) accepted during the grace period are remembered (decision 146).
ALTER TABLE "Channel" ADD COLUMN "legacySignedCallAt" TIMESTAMP(3);

-- Webhook payload retention (decision 147): bodies are dropped, hashes kept.
ALTER TABLE "WebhookReceipt" ALTER COLUMN "body" DROP NOT NULL;
ALTER TABLE "WebhookReceipt" ADD COLUMN "bodyDroppedAt" TIMESTAMP(3);

-- Replay protection of signed plugin calls (decision 146).
CREATE TABLE "PluginCallNonce" (
    "channelId" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PluginCallNonce_pkey" PRIMARY KEY ("channelId","nonce")
);
CREATE INDEX "PluginCallNonce_seenAt_idx" ON "PluginCallNonce"("seenAt");
ALTER TABLE "PluginCallNonce" ADD CONSTRAINT "PluginCallNonce_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "Channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;
