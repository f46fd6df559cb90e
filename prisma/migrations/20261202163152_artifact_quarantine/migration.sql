-- AlterTable
ALTER TABLE "artifacts" ADD COLUMN     "quarantine_reason" TEXT,
ADD COLUMN     "quarantined_at" TIMESTAMPTZ(3);
