-- CreateTable
CREATE TABLE "pending_devices" (
    "device_id" TEXT NOT NULL,
    "ca_id" UUID NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "certificate_pem" TEXT NOT NULL,
    "not_before" TIMESTAMPTZ(3) NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "rejected_at" TIMESTAMPTZ(3),
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pending_devices_pkey" PRIMARY KEY ("device_id")
);
