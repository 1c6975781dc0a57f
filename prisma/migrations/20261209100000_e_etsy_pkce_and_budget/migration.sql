-- Engineer E (issue 16, Etsy): the PKCE verifier kept with a channel authorisation's one-time state (decision 271),
-- and a polled channel's app-wide day budget as the platform last reported it (decision 273).
ALTER TABLE "ChannelAuthorization" ADD COLUMN "pkceVerifierEnc" TEXT;
ALTER TABLE "ChannelPollState" ADD COLUMN "budgetLimit" INTEGER;
ALTER TABLE "ChannelPollState" ADD COLUMN "budgetRemaining" INTEGER;
