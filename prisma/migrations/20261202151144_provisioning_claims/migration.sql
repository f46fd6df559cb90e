-- AlterTable
ALTER TABLE "device_certificates" ADD COLUMN     "renewal_pending" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "provisioning_claims" (
    "id" UUID NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "max_uses" INTEGER NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provisioning_claims_pkey" PRIMARY KEY ("id")
);
