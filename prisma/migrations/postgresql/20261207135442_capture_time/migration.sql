-- AlterTable
ALTER TABLE "EvidenceFile" ADD COLUMN     "archiveMtime" TIMESTAMP(3),
ADD COLUMN     "captureBasis" TEXT,
ADD COLUMN     "captureNote" TEXT,
ADD COLUMN     "captureOverride" TIMESTAMP(3),
ADD COLUMN     "captureTime" TIMESTAMP(3);
