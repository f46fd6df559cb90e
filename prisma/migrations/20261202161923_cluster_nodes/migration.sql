-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "session_at" TIMESTAMPTZ(3),
ADD COLUMN     "session_node" TEXT;

-- CreateTable
CREATE TABLE "cluster_nodes" (
    "id" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cluster_nodes_pkey" PRIMARY KEY ("id")
);
