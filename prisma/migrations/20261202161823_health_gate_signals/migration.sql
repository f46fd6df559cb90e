-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "recent_connects" TIMESTAMPTZ(3)[] DEFAULT ARRAY[]::TIMESTAMPTZ(3)[];

-- AlterTable
ALTER TABLE "rollout_jobs" ADD COLUMN     "health_baseline" JSONB;
