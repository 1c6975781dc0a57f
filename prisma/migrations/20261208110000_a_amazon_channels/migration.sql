-- Amazon sales channels (issue 16): polled channels' cursors, and channel authorisations' one-time states (Amazon's website workflow).
CREATE TABLE "ChannelPollState" (
    "channelId" TEXT NOT NULL,
    "cursor" TEXT,
    "nextPollAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastPolledAt" TIMESTAMP(3),
    "lastError" TEXT,
    "polls" INTEGER NOT NULL DEFAULT 0,
    "ordersSeen" INTEGER NOT NULL DEFAULT 0,
    "throttled" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChannelPollState_pkey" PRIMARY KEY ("channelId")
);

CREATE INDEX "ChannelPollState_nextPollAt_idx" ON "ChannelPollState"("nextPollAt");

ALTER TABLE "ChannelPollState" ADD CONSTRAINT "ChannelPollState_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "Channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "ChannelAuthorization" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "stateHash" TEXT NOT NULL,
    "market" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "channelId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChannelAuthorization_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "ChannelAuthorization_stateHash_key" ON "ChannelAuthorization"("stateHash");
CREATE INDEX "ChannelAuthorization_shopId_idx" ON "ChannelAuthorization"("shopId");

ALTER TABLE "ChannelAuthorization" ADD CONSTRAINT "ChannelAuthorization_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;
