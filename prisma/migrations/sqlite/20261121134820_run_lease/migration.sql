-- AlterTable
ALTER TABLE "AnalysisRun" ADD COLUMN "correlation" JSONB;
ALTER TABLE "AnalysisRun" ADD COLUMN "jobId" TEXT;
ALTER TABLE "AnalysisRun" ADD COLUMN "leaseOwner" TEXT;
ALTER TABLE "AnalysisRun" ADD COLUMN "leaseUntil" DATETIME;
