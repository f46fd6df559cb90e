-- CreateTable
CREATE TABLE "device_twins" (
    "device_id" TEXT NOT NULL,
    "desired" JSONB NOT NULL DEFAULT '{}',
    "desired_version" INTEGER NOT NULL DEFAULT 0,
    "reported" JSONB NOT NULL DEFAULT '{}',
    "reported_meta" JSONB NOT NULL DEFAULT '{}',
    "reported_version" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_twins_pkey" PRIMARY KEY ("device_id")
);

-- AddForeignKey
ALTER TABLE "device_twins" ADD CONSTRAINT "device_twins_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Reported state is rewritten in place many times a second, and free space on each page lets
-- Postgres keep those updates HOT (no index entry per update). Not expressible in schema.prisma.
ALTER TABLE "device_twins" SET (fillfactor = 70);
