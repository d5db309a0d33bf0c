-- CreateTable
CREATE TABLE "ViewCache" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ViewCache_pkey" PRIMARY KEY ("runId","key")
);

-- AddForeignKey
ALTER TABLE "ViewCache" ADD CONSTRAINT "ViewCache_runId_fkey" FOREIGN KEY ("runId") REFERENCES "AnalysisRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
