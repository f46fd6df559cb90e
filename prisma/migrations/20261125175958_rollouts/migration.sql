-- CreateTable
CREATE TABLE "rollouts" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "reason" TEXT,
    "definition" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "artifact_id" UUID,
    "current_wave" INTEGER NOT NULL DEFAULT 0,
    "wave_settled_at" TIMESTAMPTZ(3),
    "target_count" INTEGER NOT NULL DEFAULT 0,
    "excluded_count" INTEGER NOT NULL DEFAULT 0,
    "start_at" TIMESTAMPTZ(3),
    "next_tick_at" TIMESTAMPTZ(3),
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rollouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollout_jobs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "rollout_id" UUID NOT NULL,
    "device_id" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "progress" INTEGER,
    "device_succeeded" BOOLEAN NOT NULL DEFAULT false,
    "next_attempt_at" TIMESTAMPTZ(3),
    "deadline_at" TIMESTAMPTZ(3),
    "dispatched_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rollout_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "rollouts_next_tick_at_idx" ON "rollouts"("next_tick_at");

-- CreateIndex
CREATE INDEX "rollouts_artifact_id_idx" ON "rollouts"("artifact_id");

-- CreateIndex
CREATE INDEX "rollout_jobs_rollout_id_wave_status_idx" ON "rollout_jobs"("rollout_id", "wave", "status");

-- CreateIndex
CREATE INDEX "rollout_jobs_rollout_id_status_position_idx" ON "rollout_jobs"("rollout_id", "status", "position");

-- CreateIndex
CREATE INDEX "rollout_jobs_device_id_status_idx" ON "rollout_jobs"("device_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "rollout_jobs_rollout_id_device_id_key" ON "rollout_jobs"("rollout_id", "device_id");

-- AddForeignKey
ALTER TABLE "rollout_jobs" ADD CONSTRAINT "rollout_jobs_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
