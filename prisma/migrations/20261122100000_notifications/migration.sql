-- CreateTable
CREATE TABLE "NotificationSettings" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "emailRecipients" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "smsRecipients" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "channels" JSONB NOT NULL DEFAULT '{}',
    "quietStartMin" INTEGER,
    "quietEndMin" INTEGER,
    "criticalBypassQuiet" BOOLEAN NOT NULL DEFAULT true,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "dailySummaryHour" INTEGER NOT NULL DEFAULT 8,
    "lastSummaryDate" TEXT,
    "watchedLedgerId" BIGINT NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NotificationSettings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "eventId" TEXT,
    "kind" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "subject" TEXT,
    "body" TEXT,
    "html" TEXT,
    "digestId" TEXT,
    "providerId" TEXT,
    "providerStatus" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertState" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "since" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "clearedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertState_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SheetConnection" (
    "id" TEXT NOT NULL,
    "shopId" TEXT NOT NULL,
    "authType" TEXT NOT NULL,
    "credentialsEnc" TEXT,
    "accountEmail" TEXT,
    "oauthStateHash" TEXT,
    "oauthStateExpires" TIMESTAMP(3),
    "spreadsheetId" TEXT,
    "spreadsheetUrl" TEXT,
    "inventorySheetId" INTEGER,
    "ordersSheetId" INTEGER,
    "inventoryGridRows" INTEGER NOT NULL DEFAULT 0,
    "ordersGridRows" INTEGER NOT NULL DEFAULT 0,
    "rowMap" JSONB NOT NULL DEFAULT '{}',
    "status" TEXT NOT NULL DEFAULT 'pending',
    "lastError" TEXT,
    "lastExportAt" TIMESTAMP(3),
    "lastFullExportAt" TIMESTAMP(3),
    "exportedLedgerId" BIGINT NOT NULL DEFAULT 0,
    "exportedOrdersAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SheetConnection_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "NotificationSettings_shopId_key" ON "NotificationSettings"("shopId");

-- CreateIndex
CREATE INDEX "Notification_shopId_createdAt_idx" ON "Notification"("shopId", "createdAt");

-- CreateIndex
CREATE INDEX "Notification_shopId_channel_status_createdAt_idx" ON "Notification"("shopId", "channel", "status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "AlertState_shopId_key_key" ON "AlertState"("shopId", "key");

-- CreateIndex
CREATE UNIQUE INDEX "SheetConnection_shopId_key" ON "SheetConnection"("shopId");

-- CreateIndex
CREATE UNIQUE INDEX "SheetConnection_oauthStateHash_key" ON "SheetConnection"("oauthStateHash");

-- AddForeignKey
ALTER TABLE "NotificationSettings" ADD CONSTRAINT "NotificationSettings_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertState" ADD CONSTRAINT "AlertState_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SheetConnection" ADD CONSTRAINT "SheetConnection_shopId_fkey" FOREIGN KEY ("shopId") REFERENCES "Shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

