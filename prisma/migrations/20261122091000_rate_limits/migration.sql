-- Counters for rate-limiter-flexible's RateLimiterPostgres (the shape it would create itself).
CREATE TABLE "syncflow_rate_limits" (
    "key" VARCHAR(255) NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "syncflow_rate_limits_pkey" PRIMARY KEY ("key")
);
