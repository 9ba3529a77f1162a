-- The maintenance queue: submitted inspections that report defects (per site), and the certification
-- made for an inspection, found by the inspection it answers.
CREATE INDEX "records_reported_defects_idx" ON "records" USING btree ("site_id") WHERE type = 'inspection' AND fields->>'status' = 'submitted' AND (fields @? '$.defects[*]' OR fields @? '$.items.* ? (@.result == "fail")');--> statement-breakpoint
CREATE INDEX "records_certified_inspection_idx" ON "records" USING btree (("fields"->>'inspectionId')) WHERE type = 'repairCertification';