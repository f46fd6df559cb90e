-- CreateEnum
CREATE TYPE "DeviceAuthMethod" AS ENUM ('password', 'certificate');

-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "auth_methods" "DeviceAuthMethod"[] DEFAULT ARRAY['password', 'certificate']::"DeviceAuthMethod"[];

-- CreateTable
CREATE TABLE "device_certificates" (
    "fingerprint" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "issuer_fingerprint" TEXT NOT NULL,
    "certificate_pem" TEXT NOT NULL,
    "not_before" TIMESTAMPTZ(3) NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_certificates_pkey" PRIMARY KEY ("fingerprint")
);

-- CreateTable
CREATE TABLE "trusted_cas" (
    "id" UUID NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "certificate_pem" TEXT NOT NULL,
    "auto_register" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "trusted_cas_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "device_certificates_not_after_idx" ON "device_certificates"("not_after");

-- CreateIndex
CREATE UNIQUE INDEX "device_certificates_device_id_serial_key" ON "device_certificates"("device_id", "serial");

-- CreateIndex
CREATE UNIQUE INDEX "trusted_cas_fingerprint_key" ON "trusted_cas"("fingerprint");

-- AddForeignKey
ALTER TABLE "device_certificates" ADD CONSTRAINT "device_certificates_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
