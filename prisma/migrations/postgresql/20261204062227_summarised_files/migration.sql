-- AlterTable
ALTER TABLE "Evidence" ADD COLUMN     "bulk" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "EvidenceFile" ADD COLUMN     "summary" JSONB;

-- CreateTable
CREATE TABLE "EvidenceBlock" (
    "id" SERIAL NOT NULL,
    "incidentId" TEXT NOT NULL,
    "fileId" TEXT NOT NULL,
    "byteStart" DOUBLE PRECISION NOT NULL,
    "byteEnd" DOUBLE PRECISION NOT NULL,
    "lineStart" INTEGER NOT NULL,
    "lineEnd" INTEGER NOT NULL,
    "records" INTEGER NOT NULL,
    "bulk" INTEGER NOT NULL,
    "tsMin" DOUBLE PRECISION,
    "tsMax" DOUBLE PRECISION,
    "materialized" BOOLEAN NOT NULL DEFAULT false,
    "context" TEXT,
    "traces" BYTEA,

    CONSTRAINT "EvidenceBlock_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RecordSecond" (
    "incidentId" TEXT NOT NULL,
    "fileId" TEXT NOT NULL,
    "second" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "RecordSecond_pkey" PRIMARY KEY ("fileId","second","kind","source","severity","service")
);

-- CreateTable
CREATE TABLE "FileDigest" (
    "fileId" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "data" TEXT NOT NULL,

    CONSTRAINT "FileDigest_pkey" PRIMARY KEY ("fileId")
);

-- CreateIndex
CREATE INDEX "EvidenceBlock_incidentId_tsMin_idx" ON "EvidenceBlock"("incidentId", "tsMin");

-- CreateIndex
CREATE UNIQUE INDEX "EvidenceBlock_fileId_byteStart_key" ON "EvidenceBlock"("fileId", "byteStart");

-- CreateIndex
CREATE INDEX "RecordSecond_incidentId_second_idx" ON "RecordSecond"("incidentId", "second");

-- CreateIndex
CREATE INDEX "FileDigest_incidentId_idx" ON "FileDigest"("incidentId");
