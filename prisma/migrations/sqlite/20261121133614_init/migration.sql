-- CreateTable
CREATE TABLE "Incident" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "title" TEXT NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "windowStart" DATETIME,
    "windowEnd" DATETIME,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "status" TEXT NOT NULL DEFAULT 'new',
    "isSample" BOOLEAN NOT NULL DEFAULT false,
    "fileCount" INTEGER NOT NULL DEFAULT 0,
    "totalBytes" BIGINT NOT NULL DEFAULT 0,
    "topHypothesis" TEXT,
    "topConfidence" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Bundle" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "incidentId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "limits" JSONB NOT NULL,
    "manifest" JSONB,
    "status" TEXT NOT NULL DEFAULT 'received',
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Bundle_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "EvidenceFile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "incidentId" TEXT NOT NULL,
    "bundleId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "storageKey" TEXT NOT NULL,
    "format" TEXT,
    "confidence" REAL,
    "sniffScores" JSONB,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "records" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "warnings" JSONB NOT NULL DEFAULT '[]',
    "skippedSamples" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "node" TEXT,
    "clockSkewMs" REAL,
    "parseMs" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "EvidenceFile_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "EvidenceFile_bundleId_fkey" FOREIGN KEY ("bundleId") REFERENCES "Bundle" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AnalysisRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "incidentId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "stage" TEXT NOT NULL DEFAULT 'queued',
    "progress" REAL NOT NULL DEFAULT 0,
    "timings" JSONB NOT NULL DEFAULT '{}',
    "error" TEXT,
    "problems" JSONB NOT NULL DEFAULT '[]',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "AnalysisRun_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "HypothesisRow" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "detector" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "confidence" REAL NOT NULL,
    "data" JSONB NOT NULL,
    CONSTRAINT "HypothesisRow_runId_fkey" FOREIGN KEY ("runId") REFERENCES "AnalysisRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "HypothesisRow_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Job" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "queue" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "runAfter" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedBy" TEXT,
    "lockedUntil" DATETIME,
    "lastError" TEXT,
    "singletonKey" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME
);

-- CreateTable
CREATE TABLE "Evidence" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "incidentId" TEXT NOT NULL,
    "fileId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "ts" REAL,
    "durationMs" REAL,
    "source" TEXT,
    "service" TEXT,
    "node" TEXT,
    "status" INTEGER,
    "severity" TEXT,
    "traceId" TEXT,
    "text" TEXT NOT NULL,
    "line" INTEGER,
    "data" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "RequestBucket" (
    "incidentId" TEXT NOT NULL,
    "fileId" TEXT NOT NULL,
    "second" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "dest" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "flag" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "durationSumMs" REAL NOT NULL DEFAULT 0,

    PRIMARY KEY ("fileId", "second", "source", "dest", "status", "flag")
);

-- CreateTable
CREATE TABLE "LatencyHistogram" (
    "incidentId" TEXT NOT NULL,
    "fileId" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "hop" TEXT NOT NULL,
    "minute" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "histogram" TEXT NOT NULL,

    PRIMARY KEY ("fileId", "service", "hop", "minute", "metric")
);

-- CreateIndex
CREATE INDEX "Incident_createdAt_idx" ON "Incident"("createdAt");

-- CreateIndex
CREATE INDEX "Incident_status_idx" ON "Incident"("status");

-- CreateIndex
CREATE INDEX "Bundle_incidentId_idx" ON "Bundle"("incidentId");

-- CreateIndex
CREATE INDEX "EvidenceFile_incidentId_idx" ON "EvidenceFile"("incidentId");

-- CreateIndex
CREATE UNIQUE INDEX "EvidenceFile_bundleId_path_key" ON "EvidenceFile"("bundleId", "path");

-- CreateIndex
CREATE INDEX "AnalysisRun_incidentId_createdAt_idx" ON "AnalysisRun"("incidentId", "createdAt");

-- CreateIndex
CREATE INDEX "HypothesisRow_incidentId_idx" ON "HypothesisRow"("incidentId");

-- CreateIndex
CREATE INDEX "HypothesisRow_detector_idx" ON "HypothesisRow"("detector");

-- CreateIndex
CREATE UNIQUE INDEX "HypothesisRow_runId_rank_key" ON "HypothesisRow"("runId", "rank");

-- CreateIndex
CREATE INDEX "Job_status_runAfter_idx" ON "Job"("status", "runAfter");

-- CreateIndex
CREATE INDEX "Job_singletonKey_idx" ON "Job"("singletonKey");

-- CreateIndex
CREATE INDEX "Evidence_incidentId_kind_ts_idx" ON "Evidence"("incidentId", "kind", "ts");

-- CreateIndex
CREATE INDEX "Evidence_incidentId_ts_idx" ON "Evidence"("incidentId", "ts");

-- CreateIndex
CREATE INDEX "Evidence_incidentId_service_idx" ON "Evidence"("incidentId", "service");

-- CreateIndex
CREATE INDEX "Evidence_incidentId_traceId_idx" ON "Evidence"("incidentId", "traceId");

-- CreateIndex
CREATE UNIQUE INDEX "Evidence_fileId_seq_key" ON "Evidence"("fileId", "seq");

-- CreateIndex
CREATE INDEX "RequestBucket_incidentId_second_idx" ON "RequestBucket"("incidentId", "second");

-- CreateIndex
CREATE INDEX "LatencyHistogram_incidentId_minute_idx" ON "LatencyHistogram"("incidentId", "minute");
