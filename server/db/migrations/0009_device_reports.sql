-- A history of what devices tell of their queue with each pull, sampled, and how long the office took to
-- answer that pull: the fleet page charts queue depth and pull latency over time from it.
CREATE TABLE "device_reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"reported_at" bigint NOT NULL,
	"pending_entries" integer NOT NULL,
	"failed_entries" integer NOT NULL,
	"oldest_pending_age_ms" bigint,
	"pull_ms" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "device_reports" ADD CONSTRAINT "device_reports_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_reports_time_idx" ON "device_reports" USING btree ("reported_at");