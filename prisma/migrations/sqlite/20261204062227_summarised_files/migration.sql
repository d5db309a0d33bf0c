-- AlterTable
ALTER TABLE "EvidenceFile" ADD COLUMN "summary" JSONB;

-- CreateTable
CREATE TABLE "EvidenceBlock" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "incidentId" TEXT NOT NULL,
    "fileId" TEXT NOT NULL,
    "byteStart" REAL NOT NULL,
    "byteEnd" REAL NOT NULL,
    "lineStart" INTEGER NOT NULL,
    "lineEnd" INTEGER NOT NULL,
    "records" INTEGER NOT NULL,
    "bulk" INTEGER NOT NULL,
    "tsMin" REAL,
    "tsMax" REAL,
    "materialized" BOOLEAN NOT NULL DEFAULT false,
    "context" TEXT,
    "traces" BLOB
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

    PRIMARY KEY ("fileId", "second", "kind", "source", "severity", "service")
);

-- CreateTable
CREATE TABLE "FileDigest" (
    "fileId" TEXT NOT NULL PRIMARY KEY,
    "incidentId" TEXT NOT NULL,
    "data" TEXT NOT NULL
);

-- AlterTable (a plain ADD COLUMN: the engine would copy the whole Evidence table to add one)
ALTER TABLE "Evidence" ADD COLUMN "bulk" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "EvidenceBlock_incidentId_tsMin_idx" ON "EvidenceBlock"("incidentId", "tsMin");

-- CreateIndex
CREATE UNIQUE INDEX "EvidenceBlock_fileId_byteStart_key" ON "EvidenceBlock"("fileId", "byteStart");

-- CreateIndex
CREATE INDEX "RecordSecond_incidentId_second_idx" ON "RecordSecond"("incidentId", "second");

-- CreateIndex
CREATE INDEX "FileDigest_incidentId_idx" ON "FileDigest"("incidentId");
