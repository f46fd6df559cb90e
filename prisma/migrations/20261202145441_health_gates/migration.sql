-- DropIndex
DROP INDEX "rollout_jobs_rollout_id_device_id_key";

-- AlterTable
ALTER TABLE "rollout_jobs" ADD COLUMN     "baked_ms" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "health" TEXT,
ADD COLUMN     "health_at" TIMESTAMPTZ(3),
ADD COLUMN     "health_failures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "health_samples" JSONB,
ADD COLUMN     "health_seen" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "online_since" TIMESTAMPTZ(3),
ADD COLUMN     "phase" TEXT NOT NULL DEFAULT 'install',
ADD COLUMN     "previous" JSONB,
ADD COLUMN     "revert_to" JSONB,
ADD COLUMN     "target_artifact_id" UUID,
ADD COLUMN     "target_version" TEXT;

-- AlterTable
ALTER TABLE "rollouts" ADD COLUMN     "gate_wave" INTEGER NOT NULL DEFAULT -1,
ADD COLUMN     "reverting_since" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "rollout_decisions" (
    "id" BIGSERIAL NOT NULL,
    "rollout_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "wave" INTEGER NOT NULL,
    "rule" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "acted_by" TEXT NOT NULL,
    "actor_name" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "detail" JSONB NOT NULL,

    CONSTRAINT "rollout_decisions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "rollout_decisions_rollout_id_id_idx" ON "rollout_decisions"("rollout_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "rollout_jobs_rollout_id_device_id_phase_key" ON "rollout_jobs"("rollout_id", "device_id", "phase");

-- AddForeignKey
ALTER TABLE "rollout_decisions" ADD CONSTRAINT "rollout_decisions_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
