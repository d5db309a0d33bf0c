-- CreateTable
CREATE TABLE "Incident" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "windowStart" TIMESTAMP(3),
    "windowEnd" TIMESTAMP(3),
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "status" TEXT NOT NULL DEFAULT 'new',
    "isSample" BOOLEAN NOT NULL DEFAULT false,
    "fileCount" INTEGER NOT NULL DEFAULT 0,
    "totalBytes" BIGINT NOT NULL DEFAULT 0,
    "topHypothesis" TEXT,
    "topConfidence" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Bundle" (
    "id" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "limits" JSONB NOT NULL,
    "manifest" JSONB,
    "status" TEXT NOT NULL DEFAULT 'received',
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Bundle_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EvidenceFile" (
    "id" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "bundleId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "storageKey" TEXT NOT NULL,
    "format" TEXT,
    "confidence" DOUBLE PRECISION,
    "sniffScores" JSONB,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "records" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "warnings" JSONB NOT NULL DEFAULT '[]',
    "skippedSamples" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "node" TEXT,
    "clockSkewMs" DOUBLE PRECISION,
    "parseMs" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EvidenceFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AnalysisRun" (
    "id" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "stage" TEXT NOT NULL DEFAULT 'queued',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "timings" JSONB NOT NULL DEFAULT '{}',
    "error" TEXT,
    "problems" JSONB NOT NULL DEFAULT '[]',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AnalysisRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HypothesisRow" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "detector" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "HypothesisRow_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" TEXT NOT NULL,
    "queue" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "runAfter" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "singletonKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Evidence" (
    "id" SERIAL NOT NULL,
    "incidentId" TEXT NOT NULL,
    "fileId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "ts" DOUBLE PRECISION,
    "durationMs" DOUBLE PRECISION,
    "source" TEXT,
    "service" TEXT,
    "node" TEXT,
    "status" INTEGER,
    "severity" TEXT,
    "traceId" TEXT,
    "text" TEXT NOT NULL,
    "line" INTEGER,
    "data" TEXT NOT NULL,

    CONSTRAINT "Evidence_pkey" PRIMARY KEY ("id")
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
    "durationSumMs" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "RequestBucket_pkey" PRIMARY KEY ("fileId","second","source","dest","status","flag")
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

    CONSTRAINT "LatencyHistogram_pkey" PRIMARY KEY ("fileId","service","hop","minute","metric")
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

-- AddForeignKey
ALTER TABLE "Bundle" ADD CONSTRAINT "Bundle_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvidenceFile" ADD CONSTRAINT "EvidenceFile_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvidenceFile" ADD CONSTRAINT "EvidenceFile_bundleId_fkey" FOREIGN KEY ("bundleId") REFERENCES "Bundle"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AnalysisRun" ADD CONSTRAINT "AnalysisRun_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HypothesisRow" ADD CONSTRAINT "HypothesisRow_runId_fkey" FOREIGN KEY ("runId") REFERENCES "AnalysisRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HypothesisRow" ADD CONSTRAINT "HypothesisRow_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;
