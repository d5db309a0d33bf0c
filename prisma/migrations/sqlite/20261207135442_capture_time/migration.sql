-- AlterTable
ALTER TABLE "EvidenceFile" ADD COLUMN "archiveMtime" DATETIME;
ALTER TABLE "EvidenceFile" ADD COLUMN "captureBasis" TEXT;
ALTER TABLE "EvidenceFile" ADD COLUMN "captureNote" TEXT;
ALTER TABLE "EvidenceFile" ADD COLUMN "captureOverride" DATETIME;
ALTER TABLE "EvidenceFile" ADD COLUMN "captureTime" DATETIME;
