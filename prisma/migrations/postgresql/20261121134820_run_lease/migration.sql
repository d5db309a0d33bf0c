-- AlterTable
ALTER TABLE "AnalysisRun" ADD COLUMN     "correlation" JSONB,
ADD COLUMN     "jobId" TEXT,
ADD COLUMN     "leaseOwner" TEXT,
ADD COLUMN     "leaseUntil" TIMESTAMP(3);
